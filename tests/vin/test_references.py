"""ReferenceStore on a local object store and SQLite (same code runs on MinIO/PostgreSQL)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import sqlalchemy as sa

from pipeline.db import schema
from pipeline.errors import EvidenceError, StoreUnavailable, UsageError
from pipeline.storage.base import ObjectInfo
from pipeline.storage.local import LocalStore
from pipeline.vin import band as band_module
from pipeline.vin import references
from pipeline.vin.band import Band, rectify
from pipeline.vin.evalgen import make_pair
from pipeline.vin.references import ReferenceStore, enroll


@pytest.fixture
def refs(tmp_path: Path) -> ReferenceStore:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    schema.metadata.create_all(engine)
    return ReferenceStore(LocalStore(tmp_path / "store"), engine)


def test_enroll_latest_and_history(refs: ReferenceStore) -> None:
    rng = np.random.default_rng(7)
    first = make_pair("genuine", "B", rng)
    second = make_pair("genuine", "B", rng)
    vin = first.vin
    assert refs.latest(vin) is None
    a = enroll(refs, vin, first.reference, source="registration", enrolled_by="t")
    assert refs.latest(vin) == a
    again = refs.enroll(vin, first.reference, source="import", enrolled_by="t")
    assert again.id == a.id  # same image: no duplicate
    b = refs.enroll(vin, second.reference, source="inspection:x1", enrolled_by="reviewer")
    latest = refs.latest(vin)
    assert latest is not None and latest.id == b.id
    assert [r.active for r in refs.history(vin)] == [True, False]
    assert refs.image(latest) == second.reference


def test_enroll_refuses_bad_input(refs: ReferenceStore) -> None:
    with pytest.raises(UsageError):
        refs.enroll("NOT-A-VIN", b"x", source="import", enrolled_by="t")
    with pytest.raises(EvidenceError):
        refs.enroll("LSVAM4187C2184847", b"not an image", source="import", enrolled_by="t")
    blank = np.full((200, 800), 128, np.uint8)
    _, buf = cv2.imencode(".jpg", blank)
    with pytest.raises(EvidenceError):
        refs.enroll("LSVAM4187C2184847", buf.tobytes(), source="import", enrolled_by="t")


def _same_band(a: Band | None, b: Band | None) -> bool:
    assert a is not None and b is not None
    return (
        a.boxes == b.boxes
        and a.light_on_dark == b.light_on_dark
        and all(
            x.dtype == y.dtype and np.array_equal(x, y)
            for x, y in ((a.strokes, b.strokes), (a.binary, b.binary), (a.gray, b.gray))
        )
    )


def test_enrolment_keeps_the_rectified_band_for_comparisons(
    refs: ReferenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = make_pair("genuine", "C", np.random.default_rng(11))
    ref = refs.enroll(pair.vin, pair.reference, source="registration", enrolled_by="t")
    expected = rectify(cv2.imdecode(np.frombuffer(pair.reference, np.uint8), cv2.IMREAD_COLOR))
    assert refs.store.exists(refs.band_key(ref))

    def no_rectify(_image: np.ndarray) -> Band | None:
        raise AssertionError("the kept band should have been used")

    monkeypatch.setattr(references, "rectify", no_rectify)
    assert _same_band(refs.band(ref), expected)


def test_a_missing_stale_or_damaged_band_is_made_again(
    refs: ReferenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = make_pair("genuine", "A", np.random.default_rng(12))
    ref = refs.enroll(pair.vin, pair.reference, source="registration", enrolled_by="t")
    key = refs.band_key(ref)
    expected = refs.band(ref)
    for damage in (b"", b"PK\x03\x04 not a zip", b"\x93NUMPY garbage"):
        refs.store.put(key, damage)
        assert _same_band(refs.band(ref), expected)
        assert Band.from_bytes(refs.store.get(key)) is not None  # written back
    # A band saved by another version of the algorithm is not used, nor kept.
    assert expected is not None
    with monkeypatch.context() as m:
        m.setattr(band_module, "ALGORITHM", "an-older-one")
        stale = expected.to_bytes()
    assert Band.from_bytes(stale) is None
    refs.store.put(key, stale)
    assert _same_band(refs.band(ref), expected)
    assert Band.from_bytes(refs.store.get(key)) is not None
    refs.store.delete(key)
    assert _same_band(refs.band(ref), expected)


class _NoBands(LocalStore):
    """A store that refuses to keep band files (full disk, a policy), nothing else."""

    def put(self, key: str, data: bytes, **kw: Any) -> ObjectInfo:
        if key.endswith(".npz"):
            raise StoreUnavailable(f"put {key!r}: refused")
        return super().put(key, data, **kw)


def test_a_band_that_cannot_be_kept_costs_time_not_the_comparison(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    schema.metadata.create_all(engine)
    refs = ReferenceStore(_NoBands(tmp_path / "store"), engine)
    pair = make_pair("genuine", "B", np.random.default_rng(13))
    with caplog.at_level(logging.WARNING, logger="pipeline.vin.references"):
        ref = refs.enroll(pair.vin, pair.reference, source="registration", enrolled_by="t")
        band = refs.band(ref)
    assert refs.latest(pair.vin) == ref and not refs.store.exists(refs.band_key(ref))
    expected = rectify(cv2.imdecode(np.frombuffer(pair.reference, np.uint8), cv2.IMREAD_COLOR))
    assert _same_band(band, expected)
    assert caplog.text.count("band not kept") == 2  # at enrolment and at use


def test_a_kept_band_keeps_its_reads(refs: ReferenceStore) -> None:
    pair = make_pair("genuine", "D", np.random.default_rng(14))
    ref = refs.enroll(pair.vin, pair.reference, source="registration", enrolled_by="t")
    band = refs.band(ref)
    assert band is not None
    band.reads["rec.onnx:abc/line-1"] = ("LSVAM4187C2184847", 0.97)
    refs.keep_band(ref, band)
    again = refs.band(ref)
    assert again is not None and _same_band(again, band)
    assert again.reads == {"rec.onnx:abc/line-1": ("LSVAM4187C2184847", 0.97)}
