"""Every transition of a review item, with its audit entry, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from pipeline.db import audit
from pipeline.errors import Conflict, ObjectNotFound, UsageError
from pipeline.review.service import ReviewDesk
from tests.review.conftest import FakeClock, RecordingBus
from tests.review.seed import insert_item


def trail(desk: ReviewDesk, item_id: int) -> list[tuple[str, str, str | None, str | None]]:
    """(actor, action, from, to) of every audit entry of an item."""
    return [
        (e.actor, e.action, e.from_state, e.to_state)
        for e in audit.entries(desk.db, "review_item", item_id)
    ]


def test_claim_renew_release(desk: ReviewDesk, clock: FakeClock) -> None:
    item_id = insert_item(desk.db, "I1")
    claimed = desk.claim(item_id, "ann")
    assert (claimed.state, claimed.claimed_by, claimed.version) == ("claimed", "ann", 2)
    assert claimed.lease_until == clock() + desk.lease
    clock.advance(minutes=10)
    renewed = desk.renew(item_id, "ann")
    assert renewed.lease_until == clock() + desk.lease
    released = desk.release(item_id, "ann")
    assert (released.state, released.claimed_by, released.lease_until) == ("open", None, None)
    assert trail(desk, item_id) == [
        ("ann", "review_item.claimed", "open", "claimed"),
        ("ann", "review_item.renewed", "claimed", "claimed"),
        ("ann", "review_item.released", "claimed", "open"),
    ]


def test_claimed_item_refuses_others(desk: ReviewDesk) -> None:
    item_id = insert_item(desk.db, "I1")
    desk.claim(item_id, "ann")
    with pytest.raises(Conflict, match="claimed by ann"):
        desk.claim(item_id, "bob")
    with pytest.raises(Conflict, match="claimed by ann"):
        desk.renew(item_id, "bob")
    with pytest.raises(Conflict, match="claimed by ann"):
        desk.decide(item_id, "bob", "confirm")
    with pytest.raises(Conflict):
        desk.release(item_id, "bob")
    forced = desk.release(item_id, "sup", force=True)  # a supervisor may
    assert forced.state == "open"
    assert audit.entries(desk.db, "review_item", item_id)[-1].detail["forced"] is True


def test_decide_confirm_publishes_and_audits(desk: ReviewDesk, bus: RecordingBus) -> None:
    item_id = insert_item(desk.db, "I1", reasons=("plate_mismatch", "blurry"))
    desk.claim(item_id, "ann")
    item = desk.decide(item_id, "ann", "confirm", note="plate clearly differs")
    assert (item.state, item.decision, item.decided_by) == ("decided", "confirm", "ann")
    assert item.lease_until is None
    (key, body, message_id), *_ = bus.published
    event = json.loads(body)
    assert key == "review.decided"
    assert message_id == f"review.decided:{item_id}:{item.version}"
    assert event["decision"] == "confirm" and event["final_verdict"] == "fail"
    assert event["reasons"] == ["plate_mismatch", "blurry"]
    assert event["note"] == "plate clearly differs"
    assert trail(desk, item_id)[-1] == ("ann", "review_item.decided", "claimed", "decided")


def test_clear_needs_a_reason(desk: ReviewDesk, bus: RecordingBus) -> None:
    item_id = insert_item(desk.db, "I1")
    desk.claim(item_id, "ann")
    with pytest.raises(UsageError, match="needs a reason"):
        desk.decide(item_id, "ann", "clear")
    with pytest.raises(UsageError, match="needs a note"):
        desk.decide(item_id, "ann", "clear", reason="other")
    with pytest.raises(UsageError, match="decision must be"):
        desk.decide(item_id, "ann", "approve")
    assert desk.item(item_id).state == "claimed"
    item = desk.decide(item_id, "ann", "clear", reason="other", note="registry updated today")
    assert item.decision_reason == "other: registry updated today"
    event = json.loads(bus.published[-1][1])
    assert (event["final_verdict"], event["decision_reason"]) == ("pass", "other")


def test_decided_is_final(desk: ReviewDesk) -> None:
    item_id = insert_item(desk.db, "I1")
    desk.claim(item_id, "ann")
    desk.decide(item_id, "ann", "clear", reason="ocr_misread")
    for action in (
        lambda: desk.claim(item_id, "bob"),
        lambda: desk.decide(item_id, "ann", "confirm"),
        lambda: desk.renew(item_id, "ann"),
        lambda: desk.release(item_id, "ann"),
    ):
        with pytest.raises(Conflict):
            action()
    assert [a for _, a, _, _ in trail(desk, item_id)].count("review_item.decided") == 1


def test_lease_expiry_returns_item_to_queue(desk: ReviewDesk, clock: FakeClock) -> None:
    from pipeline.review.models import QueueFilter

    item_id = insert_item(desk.db, "I1")
    desk.claim(item_id, "ann")
    assert desk.page(QueueFilter("open")).items == ()
    clock.advance(minutes=15, seconds=1)
    page = desk.page(QueueFilter("open"))  # listing returns expired leases to the queue
    assert [i.id for i in page.items] == [item_id]
    assert page.items[0].claimed_by is None
    with pytest.raises(Conflict, match="claim it first"):
        desk.decide(item_id, "ann", "confirm")
    desk.claim(item_id, "bob")
    desk.decide(item_id, "bob", "confirm")
    assert trail(desk, item_id) == [
        ("ann", "review_item.claimed", "open", "claimed"),
        ("system", "review_item.expired", "claimed", "open"),
        ("bob", "review_item.claimed", "open", "claimed"),
        ("bob", "review_item.decided", "claimed", "decided"),
    ]


def test_expired_claim_is_taken_over_and_holder_loses(desk: ReviewDesk, clock: FakeClock) -> None:
    item_id = insert_item(desk.db, "I1")
    desk.claim(item_id, "ann")
    clock.advance(minutes=16)
    with pytest.raises(Conflict, match="lease expired"):
        desk.renew(item_id, "ann")
    with pytest.raises(Conflict, match="lease expired"):
        desk.decide(item_id, "ann", "confirm")
    taken = desk.claim(item_id, "bob")  # no listing in between: claim expires it itself
    assert taken.claimed_by == "bob"
    actions = [(a, act) for a, act, _, _ in trail(desk, item_id)]
    assert actions[-2:] == [("system", "review_item.expired"), ("bob", "review_item.claimed")]


def test_stale_version_is_refused(desk: ReviewDesk) -> None:
    item_id = insert_item(desk.db, "I1")
    seen = desk.item(item_id).version
    desk.claim(item_id, "ann")
    desk.release(item_id, "ann")
    with pytest.raises(Conflict, match="changed since you loaded it"):
        desk.claim(item_id, "bob", version=seen)


def test_unknown_item(desk: ReviewDesk) -> None:
    with pytest.raises(ObjectNotFound):
        desk.claim(12345, "ann")


def test_failed_publish_rolls_the_decision_back(desk: ReviewDesk, bus: RecordingBus) -> None:
    from pipeline.errors import BusUnavailable

    item_id = insert_item(desk.db, "I1")
    desk.claim(item_id, "ann")
    bus.fail_next = True
    with pytest.raises(BusUnavailable):
        desk.decide(item_id, "ann", "confirm")
    item = desk.item(item_id)
    assert (item.state, item.claimed_by) == ("claimed", "ann")  # nothing half-done
    assert "review_item.decided" not in [a for _, a, _, _ in trail(desk, item_id)]
    assert desk.decide(item_id, "ann", "confirm").state == "decided"
