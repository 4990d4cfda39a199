"""Review intake: one item per flagged attempt, previous-attempt links, audit of each change."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from pipeline.db import Database
from pipeline.db.audit import entries
from pipeline.db.results import (
    follow_result,
    open_review_item,
    record_inspection,
    record_result,
    record_stub_inspection,
)
from pipeline.db.schema import review_items
from pipeline.records import Manifest, Outcome, Verdict
from tests.db.conftest import T0, later, make_manifest, make_verdict


def _store(
    db: Database,
    m: Manifest,
    outcomes: list[tuple[Outcome, str | None]],
    version: str = "0.1.0",
) -> tuple[Verdict, int, int]:
    ipk = record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=T0)
    v = make_verdict(m, outcomes, version=version)
    rpk, _ = record_result(db, v, inspection_pk=ipk, result_key="k", created_at=T0)
    return v, ipk, rpk


def _items(db: Database) -> list[dict[str, object]]:
    with db.read() as conn:
        rows = conn.execute(select(review_items).order_by(review_items.c.id)).mappings()
        return [dict(r) for r in rows]


def test_redelivery_opens_one_item_and_audits_once(db: Database) -> None:
    v, ipk, rpk = _store(db, make_manifest(), [("fail", "plate_mismatch"), ("review", "blurry")])
    first = open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=T0)
    second = open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=later(1))
    assert first[1] is True and second == (first[0], False)
    [item] = _items(db)
    assert (item["state"], item["priority"], item["verdict"]) == ("open", 0, "fail")
    assert item["reasons"] == ["plate_mismatch", "blurry"]
    assert (item["result_pk"], item["previous_item_pk"], item["version"]) == (rpk, None, 1)
    log = entries(db, "review_item", first[0])
    assert [e.action for e in log] == ["review_item.opened"]
    assert log[0].to_state == "open" and log[0].detail["reasons"] == ["plate_mismatch", "blurry"]


def test_review_verdict_gets_priority_one(db: Database) -> None:
    v, ipk, rpk = _store(db, make_manifest(), [("review", "blurry")])
    assert open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=T0)[1] is True
    assert _items(db)[0]["priority"] == 1


def test_pass_verdict_is_refused(db: Database) -> None:
    v, ipk, rpk = _store(db, make_manifest(), [("pass", None)])
    with pytest.raises(ValueError, match="not flagged"):
        open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=T0)
    assert _items(db) == []


def test_reprocess_updates_an_open_item_and_audits_it(db: Database) -> None:
    m = make_manifest()
    v1, ipk, r1 = _store(db, m, [("review", "blurry")])
    pk, _ = open_review_item(db, v1, inspection_pk=ipk, result_pk=r1, now=T0)
    v2, _, r2 = _store(db, m, [("fail", "vin_mismatch")], version="0.2.0")
    assert open_review_item(db, v2, inspection_pk=ipk, result_pk=r2, now=later(5)) == (pk, False)
    [item] = _items(db)
    assert (item["result_pk"], item["verdict"], item["priority"]) == (r2, "fail", 0)
    assert item["reasons"] == ["vin_mismatch"] and item["version"] == 2
    log = entries(db, "review_item", pk)
    assert [e.action for e in log] == ["review_item.opened", "review_item.updated"]
    assert log[1].detail["from"]["result_pk"] == r1 and log[1].detail["to"]["result_pk"] == r2


def test_decided_item_is_never_reopened_or_changed(db: Database) -> None:
    m = make_manifest()
    v1, ipk, r1 = _store(db, m, [("fail", "plate_mismatch")])
    pk, _ = open_review_item(db, v1, inspection_pk=ipk, result_pk=r1, now=T0)
    with db.begin() as conn:
        conn.execute(review_items.update().values(state="decided", decision="confirm"))
    v2, _, r2 = _store(db, m, [("review", "blurry")], version="0.2.0")
    assert open_review_item(db, v2, inspection_pk=ipk, result_pk=r2, now=later(5)) == (pk, False)
    [item] = _items(db)
    assert (item["state"], item["result_pk"], item["verdict"]) == ("decided", r1, "fail")
    # The reviewer's decision stands, but the change is on the item's record, once.
    assert open_review_item(db, v2, inspection_pk=ipk, result_pk=r2, now=later(6)) == (pk, False)
    log = entries(db, "review_item", pk)
    assert [e.action for e in log] == ["review_item.opened", "review_item.result_changed"]
    assert (log[1].from_state, log[1].to_state) == ("decided", "decided")
    assert log[1].detail["from"]["verdict"] == "fail" and log[1].detail["to"]["result_pk"] == r2


def test_passing_result_is_followed_only_by_an_existing_item(db: Database) -> None:
    m = make_manifest()
    v1, ipk, r1 = _store(db, m, [("fail", "plate_mismatch")])
    pk, _ = open_review_item(db, v1, inspection_pk=ipk, result_pk=r1, now=T0)
    v2, _, r2 = _store(db, m, [("pass", None)], version="0.2.0")
    assert follow_result(db, v2, result_pk=r2, now=later(5)) == pk
    [item] = _items(db)
    assert (item["state"], item["verdict"], item["priority"], item["reasons"]) == (
        "open",
        "pass",
        2,
        [],
    )
    other = make_manifest(inspection_id="370600202611230099")
    v3, _, r3 = _store(db, other, [("pass", None)])
    assert follow_result(db, v3, result_pk=r3, now=later(5)) is None
    assert len(_items(db)) == 1


def test_new_attempt_links_to_the_previous_attempts_item(db: Database) -> None:
    iid = "370600202611230009"
    made = []
    for attempt in (1, 2, 3):
        v, ipk, rpk = _store(db, make_manifest(iid, attempt), [("fail", "plate_mismatch")])
        made.append(open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=later(attempt)))
    pks = [pk for pk, _ in made]
    links = {i["id"]: i["previous_item_pk"] for i in _items(db)}
    assert links == {pks[0]: None, pks[1]: pks[0], pks[2]: pks[1]}
    # Another inspection's items are never linked.
    v, ipk, rpk = _store(db, make_manifest("370600202611230010", 2), [("review", "blurry")])
    other, _ = open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=T0)
    assert {i["id"]: i["previous_item_pk"] for i in _items(db)}[other] is None


def test_concurrent_intake_opens_one_item(db: Database) -> None:
    v, ipk, rpk = _store(db, make_manifest(), [("fail", "plate_mismatch")])
    n = 6
    barrier = threading.Barrier(n)
    got: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def intake() -> None:
        try:
            barrier.wait()
            got.append(open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=T0))
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=intake) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_items(db)) == 1
    assert sum(created for _, created in got) == 1 and len({pk for pk, _ in got}) == 1
    assert len(entries(db, "review_item", action="review_item.opened")) == 1


def test_dead_lettered_package_gets_a_stub_row_and_an_item_without_result(db: Database) -> None:
    m = make_manifest()
    stub = record_stub_inspection(
        db,
        station_id=m.station_id,
        inspection_id=m.inspection_id,
        attempt=1,
        prefix="p",
        received_at=T0,
    )
    again = record_stub_inspection(
        db,
        station_id=m.station_id,
        inspection_id=m.inspection_id,
        attempt=1,
        prefix="other",
        received_at=later(1),
    )
    assert again == stub
    dead = make_verdict(m, [("review", "check_error")], sha="")
    pk, created = open_review_item(db, dead, inspection_pk=stub, result_pk=None, now=T0)
    assert created and _items(db)[0]["result_pk"] is None
    # The manifest becomes readable later: the same row and item follow the real result.
    v, ipk, rpk = _store(db, m, [("fail", "plate_mismatch")])
    assert ipk == stub
    assert open_review_item(db, v, inspection_pk=ipk, result_pk=rpk, now=later(2)) == (pk, False)
    [item] = _items(db)
    assert (item["result_pk"], item["verdict"], item["reasons"]) == (
        rpk,
        "fail",
        ["plate_mismatch"],
    )
