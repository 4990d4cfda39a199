"""Editing traces: an editor named in EXIF/XMP, or double JPEG quantisation → ``review``.

Never ``fail``: each sign has innocent causes (a station re-encoding to burn its watermark, a
phone's built-in beauty filter). The reviewer gets an error-level heatmap (``heatmap``
artifact). ELA is shown, not scored: on our measurements its outlier clusters were as large
on untouched photos as on spliced ones (see the README), so it is no evidence on its own.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.checks.base import Check, CheckContext, Params, Result, passed, register
from pipeline.package import LoadedItem
from pipeline.photo.exif import read_exif
from pipeline.photo.forensics import (
    double_quantisation,
    editor_name,
    ela,
    estimate_quality,
    heatmap_jpeg,
    jpeg_luma_table,
)


class EditingTracesParams(Params):
    """``double_jpeg_is_evidence``: turn off for stations whose software re-encodes photos."""

    double_jpeg_is_evidence: bool = True
    double_jpeg_review: float = Field(default=3.0, ge=0, le=10)  # holes+peaks per histogram
    ela_work_side: int = Field(default=1024, ge=128, le=4096)
    heatmap_always: bool = False  # attach the heatmap to passes too (costs an encode)


@register
class EditingTraces(Check):
    """Software tags and JPEG compression history."""

    name = "editing_traces"
    params_model = EditingTracesParams
    params: EditingTracesParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Collect signs; any sign → review with a heatmap."""
        assert item.data is not None and item.image is not None
        p = self.params
        info = read_exif(item.data)
        item.cache["exif"] = info
        signs: list[str] = []
        detail: dict[str, Any] = {}
        editor = editor_name(info.software, info.xmp_tool)
        if editor:
            signs.append("editor_software")
            detail["software"] = editor
        table = jpeg_luma_table(item.data)
        quality = estimate_quality(table) if table is not None else 95
        detail["jpeg_quality"] = quality if table is not None else None
        if table is not None:
            dq = double_quantisation(item.gray, table)
            detail["double_quantisation"] = round(dq, 3)
            if p.double_jpeg_is_evidence and dq >= p.double_jpeg_review:
                signs.append("double_jpeg")
        if not signs and not p.heatmap_always:
            return passed(**detail)
        result = ela(item.image, quality, work_side=p.ela_work_side)
        detail["ela_cluster"] = round(result.score, 4)
        artifacts = {"heatmap": heatmap_jpeg(item.image, result.heat)}
        if not signs:
            return Result("pass", None, detail, artifacts)
        return Result("review", "editing_traces", {"signs": signs, **detail}, artifacts)
