"""Bad input ends as a clear finding or rejection; nothing crashes; nothing stored is deleted.

Photos: truncated JPEG, corrupt JPEG, a PNG decompression bomb, a JPEG claiming 100 Mpx.
Manifests: 100,000 items, path traversal in file names, non-UTF-8 bytes — rejected by the
uploader before anything is stored, and a ``manifest_invalid`` review item when one reaches
the store anyway. The same upload twice changes nothing.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.bus.base import EVIDENCE
from pipeline.bus.events import object_created_event
from pipeline.db import schema
from pipeline.errors import ManifestError, PipelineError
from pipeline.layout import address_for
from pipeline.runner import pipeline_version
from pipeline.upload import upload_package
from tests.faults import badfiles
from tests.faults.conftest import Q_VERIFY, Q_VERIFY_DLQ, Rig
from tests.packages import K33_CODES, make_package
from workers import review_intake, verify

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.s3]
STATION = "3706000123"
BAD_PHOTOS = {
    "0111": (badfiles.truncated_jpeg(1), "evidence_truncated"),
    "0112": (badfiles.huge_header_jpeg(2), "evidence_too_large"),
    "0113": (badfiles.png_bomb(), "evidence_too_large"),
    # libjpeg decodes it (warning about the junk) and the checks judge what it made, but the
    # decode finding says the data is corrupt (review), where it used to pass in silence.
    "0201": (badfiles.corrupt_jpeg(3), "evidence_corrupt"),
}


def drain(rig: Rig) -> None:
    stop = threading.Event()
    verify.run(rig.services, stop=stop, idle_timeout=2.0)
    review_intake.run(rig.services, stop=stop, idle_timeout=1.5)


def bad_manifests(tmp_path: Path) -> dict[str, bytes]:
    """Raw manifest bytes that must be rejected."""
    base = json.loads(
        (make_package(tmp_path, "base", codes=["0111"]) / "manifest.json").read_text()
    )
    many = dict(base, inspection_id="MANY00001")
    many["evidence"] = [
        {"code": "0111", "file": f"f{i}.jpg", "taken_at": "2026-11-23T09:15:00+08:00"}
        for i in range(100_000)
    ]
    trav = dict(base, inspection_id="TRAV00001")
    trav["evidence"] = [dict(base["evidence"][0], file="../../../etc/passwd")]
    return {
        "MANY00001": json.dumps(many).encode(),
        "TRAV00001": json.dumps(trav).encode(),
        "UTF800001": json.dumps(dict(base, inspection_id="UTF800001")).encode()[:-40]
        + b"\xc3\x28\xa0\xa1\xff"
        + json.dumps(base).encode()[-35:],
    }


def test_bad_photos_are_findings(rig: Rig, tmp_path: Path) -> None:
    s = rig.services
    folder = make_package(tmp_path, seed=9)
    for code, (data, _) in BAD_PHOTOS.items():
        (folder / f"{code}.jpg").write_bytes(data)
    upload_package(folder, s.store, s.bus, s.settings)
    drain(rig)
    addr = address_for(STATION, "370600202611230001", 1)
    doc = json.loads(s.store.get(addr.result_key(pipeline_version(s))))
    assert doc["verdict"] in ("fail", "review")
    by_file: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_file.setdefault(f["file"], set()).add(f["reason"] or "")
    for code, (_, reason) in BAD_PHOTOS.items():
        if reason is not None:
            assert reason in by_file.get(f"{code}.jpg", set()), (code, by_file.get(f"{code}.jpg"))
    assert "check_error" not in {r for rs in by_file.values() for r in rs}, by_file
    assert rig.counts() == {"inspections": 1, "results": 1, "review_items": 1}
    assert rig.depth(Q_VERIFY) == 0 and rig.depth(Q_VERIFY_DLQ) == 0
    for code in K33_CODES:  # every file that arrived is still there
        assert s.store.exists(addr.prefix + f"{code}.jpg")

    # The same upload twice: every file skipped, the verdict and the rows unchanged.
    report = upload_package(folder, s.store, s.bus, s.settings)
    assert report.uploaded == [] and len(report.skipped) == len(K33_CODES)
    drain(rig)
    assert rig.counts() == {"inspections": 1, "results": 1, "review_items": 1}
    assert (
        json.loads(s.store.get(addr.result_key(pipeline_version(s))))["verdict"] == doc["verdict"]
    )


def test_bad_manifests_are_rejected(rig: Rig, tmp_path: Path) -> None:
    s = rig.services
    bucket = s.settings.store.bucket
    # An earlier good upload of the same inspection must survive a bad re-upload.
    good = make_package(
        tmp_path, "good", codes=["0111"], seed=4, manifest_overrides={"inspection_id": "TRAV00001"}
    )
    upload_package(good, s.store, s.bus, s.settings)
    drain(rig)
    before = sorted(o.key for o in s.store.list(""))
    for ident, raw in bad_manifests(tmp_path).items():
        folder = tmp_path / ident
        folder.mkdir()
        (folder / "manifest.json").write_bytes(raw)
        (folder / "0111.jpg").write_bytes(badfiles.truncated_jpeg(0))
        with pytest.raises(ManifestError):  # the station is told, nothing is uploaded
            upload_package(folder, s.store, s.bus, s.settings)
    assert sorted(o.key for o in s.store.list("")) == before

    # If such a manifest reaches the store anyway (another client), it becomes a review item.
    for ident, raw in bad_manifests(tmp_path / "again").items():
        if ident == "TRAV00001":
            ident = "TRAV00002"  # its own attempt: the good TRAV00001 is left alone
        addr = address_for(STATION, ident, 1)
        info = s.store.put(addr.manifest_key, raw, content_type="application/json")
        s.bus.publish(
            EVIDENCE,
            "manifest.created",
            object_created_event(bucket, info.key, info.size, info.etag),
        )
    try:
        drain(rig)
    except PipelineError as exc:  # pragma: no cover - a crash here is the failure
        pytest.fail(f"worker crashed on bad manifests: {exc}")
    with s.database.read() as conn:
        items = {
            r["inspection_id"]: r["reasons"]
            for r in conn.execute(select(schema.review_items)).mappings()
        }
    for ident in ("MANY00001", "TRAV00002", "UTF800001"):
        assert items.get(ident) == ["manifest_invalid"], (ident, items)
    assert rig.depth(Q_VERIFY) == 0 and rig.depth(Q_VERIFY_DLQ) == 0
    after = {o.key for o in s.store.list("")}
    assert set(before) <= after  # nothing already stored was deleted
