"""The audit trail: append, read back in order, commit together with the change it records."""

from __future__ import annotations

import pytest

from pipeline.db import Database, audit
from pipeline.db.audit import entries
from tests.db.conftest import T0, later


def test_append_and_read_back_with_chinese_detail(db: Database) -> None:
    detail = {
        "reason": "车架号字型与拓印膜不符",
        "scores": [0.5, 1],
        "nested": {"车牌": "鲁F12345"},
    }
    first = audit.append(
        db,
        actor="张三",
        action="review_item.decided",
        entity="review_item",
        entity_id=7,
        from_state="claimed",
        to_state="decided",
        detail=detail,
        at=later(2),
    )
    second = audit.append(
        db,
        actor="sweeper",
        action="inspection.deleted",
        entity="inspection",
        entity_id="370600202611230001",
        at=T0,
    )
    assert second > first
    everything = entries(db)
    assert [e.id for e in everything] == [first, second]  # written order, not `at` order
    [e] = entries(db, "review_item", "7")
    assert (e.actor, e.action, e.from_state, e.to_state) == (
        "张三",
        "review_item.decided",
        "claimed",
        "decided",
    )
    assert e.detail == detail and e.at == later(2) and e.entity_id == "7"
    assert entries(db, "inspection")[0].detail == {}
    assert entries(db, entity_id="nothing") == []


def test_entry_rolls_back_with_its_transaction(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.begin() as conn:
        audit.append(conn, actor="worker", action="x", entity="review_item", entity_id=1, at=T0)
        raise Boom
    assert entries(db) == []
    with db.begin() as conn:
        audit.append(conn, actor="worker", action="y", entity="review_item", entity_id=1, at=T0)
    assert [e.action for e in entries(db)] == ["y"]


def test_there_is_no_update_or_delete_api() -> None:
    public = {n for n in dir(audit) if not n.startswith("_")}
    assert not {n for n in public if n.startswith(("update", "delete", "remove", "purge"))}
