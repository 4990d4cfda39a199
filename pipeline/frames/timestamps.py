"""Per-frame times of a frame folder: ``timestamps.json``, ``_<n>ms`` file names, or fps.

Formats (the first that applies wins):

- ``timestamps.json`` in the frame folder: a list of seconds (one per frame, in name order) or
  an object ``{"file name": seconds}`` covering every frame;
- every frame name ends in ``_<n>ms`` before the extension (``000012_2400ms.jpg``): milliseconds
  from any origin (station clocks), rebased to the first frame;
- otherwise nominal times ``i / fps``.

Times are not sorted: disorder is evidence, and the timing check reports it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Protocol

from pipeline.errors import EvidenceError, ObjectNotFound

TIMESTAMPS_FILE = "timestamps.json"
_MAX_BYTES = 1 << 20
_MS_NAME = re.compile(r"_(\d{1,15})ms\.[A-Za-z]+$")


class _Source(Protocol):
    def read(self, name: str, *, max_bytes: int) -> bytes: ...


def folder_timestamps(
    source: _Source, folder: str, names: list[str], fps: float
) -> tuple[list[float], str]:
    """The times of ``names`` (seconds from the first frame) and where they came from."""
    path = folder.rstrip("/") + "/" + TIMESTAMPS_FILE
    try:
        raw = source.read(path, max_bytes=_MAX_BYTES)
    except ObjectNotFound:
        raw = None
    if raw is not None:
        return _rebase(_from_json(raw, names, path)), "file"
    from_names = _from_names(names)
    if from_names is not None:
        return _rebase(from_names), "names"
    return [i / fps for i in range(len(names))], "nominal"


def _from_json(raw: bytes, names: list[str], path: str) -> list[float]:
    try:
        doc: Any = json.loads(raw)
    except ValueError:
        raise EvidenceError(f"{path} is not JSON", reason="evidence_unreadable", key=path) from None
    if isinstance(doc, dict):
        base = {k.rsplit("/", 1)[-1]: v for k, v in doc.items()}
        values = [base.get(n.rsplit("/", 1)[-1]) for n in names]
    elif isinstance(doc, list):
        values = list(doc)
    else:
        values = []
    nums = [float(v) for v in values if v is not None and _is_number(v)]
    if len(values) != len(names) or len(nums) != len(names):
        raise EvidenceError(
            f"{path} must give one number of seconds per frame ({len(names)} frames)",
            reason="evidence_unreadable",
            key=path,
        )
    return nums


def _from_names(names: list[str]) -> list[float] | None:
    out = []
    for n in names:
        m = _MS_NAME.search(n)
        if m is None:
            return None
        out.append(int(m.group(1)) / 1000.0)
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _rebase(times: list[float]) -> list[float]:
    if not times:
        return times
    t0 = times[0]
    return [t - t0 for t in times]
