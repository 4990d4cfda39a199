"""ReferenceStore on a local object store and SQLite (same code runs on MinIO/PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from pipeline.db import schema
from pipeline.errors import EvidenceError, UsageError
from pipeline.storage.local import LocalStore
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
    loaded = refs.load(vin)
    assert loaded is not None and loaded[1] == second.reference


def test_enroll_refuses_bad_input(refs: ReferenceStore) -> None:
    with pytest.raises(UsageError):
        refs.enroll("NOT-A-VIN", b"x", source="import", enrolled_by="t")
    with pytest.raises(EvidenceError):
        refs.enroll("LSVAM4187C2184847", b"not an image", source="import", enrolled_by="t")
    blank = np.full((200, 800), 128, np.uint8)
    import cv2

    _, buf = cv2.imencode(".jpg", blank)
    with pytest.raises(EvidenceError):
        refs.enroll("LSVAM4187C2184847", buf.tobytes(), source="import", enrolled_by="t")
