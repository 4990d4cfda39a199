"""Reading the queue: priority, filters, search, paging, attempts, intake, enrolment, stations."""

from __future__ import annotations

import copy
import types
from datetime import date, timedelta
from typing import Any

from pipeline.db import audit
from pipeline.db.results import open_review_item, record_inspection, record_result
from pipeline.manifest import manifest_from_json
from pipeline.records import Finding, Verdict
from pipeline.review.models import QueueFilter
from pipeline.review.service import ReviewDesk
from pipeline.review.stations import z_score
from tests.packages import BASE_MANIFEST
from tests.review.seed import T0, insert_item, insert_passing


def ids(desk: ReviewDesk, **kw: Any) -> list[str]:
    """Inspection ids of the first page for a filter."""
    return [i.inspection_id for i in desk.page(QueueFilter(**kw)).items]


def test_fail_before_review_then_oldest(desk: ReviewDesk) -> None:
    insert_item(desk.db, "R-old", verdict="review", reasons=("blurry",), created_at=T0)
    insert_item(desk.db, "F-new", verdict="fail", created_at=T0 + timedelta(hours=2))
    insert_item(desk.db, "F-old", verdict="fail", created_at=T0 + timedelta(hours=1))
    insert_item(desk.db, "R-new", verdict="review", created_at=T0 + timedelta(hours=3))
    page = desk.page(QueueFilter())
    assert [i.inspection_id for i in page.items] == ["F-old", "F-new", "R-old", "R-new"]
    assert page.counts == {"fail": 2, "review": 2}


def test_filters_and_search(desk: ReviewDesk) -> None:
    insert_item(desk.db, "A1", station_id="S1", reasons=("plate_mismatch",), plate="鲁F11111")
    insert_item(
        desk.db,
        "A2",
        station_id="S2",
        reasons=("vin_mismatch", "photo_reused"),
        vin="LFV3A23C8K3000001",
        created_at=T0 + timedelta(days=2),
    )
    insert_item(desk.db, "A3", station_id="S2", reasons=("blurry",), verdict="review")
    assert ids(desk, station="S2") == ["A2", "A3"]
    assert ids(desk, reason="photo_reused") == ["A2"]
    assert ids(desk, reason="plate_mismatch") == ["A1"]
    assert ids(desk, reason="plate") == []  # whole codes only
    assert ids(desk, q="鲁f11111") == ["A1"]  # plates compare upper-case
    assert ids(desk, q="lfv3a23c8k3000001") == ["A2"]
    assert ids(desk, q="A3") == ["A3"]
    # T0 is 09:00 in Shanghai on 2026-11-23; A2 arrived two days later.
    assert ids(desk, date_from=date(2026, 11, 24)) == ["A2"]
    assert ids(desk, date_to=date(2026, 11, 23)) == ["A1", "A3"]
    assert ids(desk, station="S2", reason="blurry", q="A3") == ["A3"]


def test_keyset_pages_cover_everything_once(desk: ReviewDesk) -> None:
    for n in range(23):
        verdict = "fail" if n % 3 else "review"
        insert_item(desk.db, f"P{n:02d}", verdict=verdict, created_at=T0 + timedelta(minutes=n % 5))
    seen: list[str] = []
    cursor = ""
    while True:
        page = desk.page(QueueFilter(limit=5, after=cursor))
        seen += [i.inspection_id for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(f"P{n:02d}" for n in range(23))
    assert seen == ids(desk, limit=50)


def test_decided_listing_newest_first(desk: ReviewDesk) -> None:
    a, b = insert_item(desk.db, "D1"), insert_item(desk.db, "D2")
    for item_id in (a, b):
        desk.claim(item_id, "ann")
        desk.decide(item_id, "ann", "confirm")
    assert ids(desk, state="decided") == ["D2", "D1"]  # same instant: newest id first
    assert ids(desk, state="open") == []
    assert len(desk.mine("ann")) == 0


def _verdict(attempt: int, reason: str) -> tuple[Any, Verdict]:
    manifest = manifest_from_json(
        {
            **copy.deepcopy(BASE_MANIFEST),
            "attempt": attempt,
            "evidence": [{"code": "J", "file": "rubbing.jpg"}],
        }
    )
    finding = Finding("rubbing.jpg", "J", "rubbing", "review", reason, {"score": None})
    verdict = Verdict(
        manifest.inspection_id,
        manifest.station_id,
        attempt,
        "review",
        (finding,),
        "0.1.0",
        10.0,
        "a" * 64,
    )
    return manifest, verdict


def _intake(desk: ReviewDesk, attempt: int, reason: str) -> int:
    """What the review-intake worker does with a flagged verdict."""
    manifest, verdict = _verdict(attempt, reason)
    now = T0 + timedelta(hours=attempt)
    ipk = record_inspection(
        desk.db,
        manifest,
        prefix=f"3706000123/{manifest.inspection_id}/{attempt}/",
        manifest_sha256="a" * 64,
        received_at=now,
    )
    rpk, _ = record_result(desk.db, verdict, inspection_pk=ipk, result_key="k", created_at=now)
    item_id, _ = open_review_item(desk.db, verdict, inspection_pk=ipk, result_pk=rpk, now=now)
    return item_id


def test_later_attempt_links_earlier_and_clear_enrolls_rubbing(desk: ReviewDesk) -> None:
    first = _intake(desk, 1, "rubbing_no_reference")
    desk.claim(first, "ann")
    desk.decide(first, "ann", "confirm")
    second = _intake(desk, 2, "rubbing_no_reference")
    detail = desk.detail(second)
    assert detail.item.previous_item_pk == first
    assert [a.attempt for a in detail.attempts] == [1, 2]
    assert detail.keys == {"3706000123/370600202611230001/2/rubbing.jpg"}
    calls: list[dict[str, Any]] = []
    desk.enroll = lambda **kw: calls.append(kw)
    desk.claim(second, "ann")
    desk.decide(second, "ann", "clear", reason="approved_new_reference")
    assert calls and calls[0]["vin"] == "LSVAM4187C2184847"
    assert calls[0]["key"] == "3706000123/370600202611230001/2/rubbing.jpg"
    assert calls[0]["enrolled_by"] == "ann"
    last = audit.entries(desk.db, "review_item", second)[-1]
    assert last.action == "review_item.enrolled"


def test_clear_without_enroll_function_leaves_it_pending(desk: ReviewDesk) -> None:
    item_id = _intake(desk, 1, "rubbing_no_reference")
    desk.enroll = None
    desk.claim(item_id, "ann")
    desk.decide(item_id, "ann", "clear", reason="approved_new_reference")
    last = audit.entries(desk.db, "review_item", item_id)[-1]
    assert last.action == "review_item.enroll_pending"
    assert last.detail["key"].endswith("/1/rubbing.jpg")


def test_station_report_flags_the_outlier(desk: ReviewDesk, clock: Any) -> None:
    day = clock() - timedelta(days=1)
    for s in range(6):
        station = f"S{s}"
        flagged = 30 if s == 5 else 3  # S5 flags 60%, the others 6%
        for n in range(50):
            iid = f"{station}-{n:03d}"
            if n < flagged:
                insert_item(desk.db, iid, station_id=station, created_at=day)
            else:
                insert_passing(desk.db, iid, station, day)
    report = desk.stations(weeks=4)
    by_station = {r.station_id: r for r in report.rows}
    assert report.rows[0].station_id == "S5"
    assert by_station["S5"].cells[-1].outlier and by_station["S5"].total.outlier
    assert not any(c.outlier for r in report.rows[1:] for c in r.cells)
    assert by_station["S0"].cells[-1].inspections == 50
    assert by_station["S0"].cells[-1].flagged == 3
    assert by_station["S5"].top_reasons == (("plate_mismatch", 30),)
    assert report.overall[-1].inspections == 300


def test_z_score() -> None:
    assert z_score(5, 100, 0.05) == 0.0
    assert z_score(20, 100, 0.05) > 6
    assert z_score(0, 0, 0.05) == 0.0


def test_clear_enrolls_through_the_vin_reference_store(desk: ReviewDesk, tmp_path: Any) -> None:
    """The real adapter: the approved rubbing becomes the VIN's reference."""
    import numpy as np

    from pipeline.review.enroll import reference_hook
    from pipeline.storage.local import LocalStore
    from pipeline.vin.evalgen import make_pair
    from pipeline.vin.references import ReferenceStore

    pair = make_pair("genuine", "A", np.random.default_rng(3))
    store = LocalStore(tmp_path / "store")
    services = types.SimpleNamespace(store=store, references=ReferenceStore(store, desk.db))
    desk.enroll = reference_hook(services)
    rows = [
        {
            "file": "rubbing.jpg",
            "code": "J",
            "check": "rubbing",
            "outcome": "review",
            "reason": "rubbing_no_reference",
            "detail": {},
        }
    ]
    item_id = insert_item(
        desk.db,
        "ENR1",
        vin=pair.vin,
        verdict="review",
        reasons=("rubbing_no_reference",),
        finding_rows=rows,
    )
    store.put("3706000123/ENR1/1/rubbing.jpg", pair.candidate)
    desk.claim(item_id, "ann")
    desk.decide(item_id, "ann", "clear", reason="approved_new_reference")
    last = audit.entries(desk.db, "review_item", item_id)[-1]
    assert last.action == "review_item.enrolled", last.detail
    ref = services.references.latest(pair.vin)
    assert ref is not None and (ref.source, ref.enrolled_by) == ("inspection:ENR1", "ann")
