"""Two reviewers racing for one item, in threads, on SQLite and PostgreSQL: one wins, always."""

from __future__ import annotations

import threading
from collections import Counter

from pipeline.db import audit
from pipeline.errors import Conflict
from pipeline.review.service import ReviewDesk
from tests.review.conftest import FakeClock
from tests.review.seed import insert_item

ROUNDS = 15


def _race(desk: ReviewDesk, item_id: int, users: list[str], work: str) -> dict[str, str]:
    """Run ``work`` for each user at the same instant; each user's outcome."""
    return dict(zip(users, _race_list(desk, item_id, users, work), strict=True))


def _race_list(desk: ReviewDesk, item_id: int, users: list[str], work: str) -> list[str]:
    """Run ``work`` for each user (thread) at the same instant; outcomes in ``users`` order."""
    barrier = threading.Barrier(len(users))
    outcome: dict[int, str] = {}

    def run(slot: int) -> None:
        user = users[slot]
        barrier.wait()
        try:
            if work in ("claim", "both"):
                desk.claim(item_id, user)
            if work in ("decide", "both"):
                desk.decide(item_id, user, "clear", reason="ocr_misread")
            outcome[slot] = "won"
        except Conflict:
            outcome[slot] = "lost"
        except Exception as exc:  # anything else is a bug the assertion must show
            outcome[slot] = f"error: {exc!r}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return [outcome.get(i, "hung") for i in range(len(users))]


def test_two_reviewers_claim_and_decide_one_item(desk: ReviewDesk) -> None:
    for n in range(ROUNDS):
        item_id = insert_item(desk.db, f"R{n}")
        outcome = _race(desk, item_id, ["ann", "bob"], "both")
        assert sorted(outcome.values()) == ["lost", "won"], outcome
        winner = next(u for u, o in outcome.items() if o == "won")
        item = desk.item(item_id)
        assert (item.state, item.decided_by, item.claimed_by) == ("decided", winner, winner)
        actions = Counter(e.action for e in audit.entries(desk.db, "review_item", item_id))
        assert actions == {"review_item.claimed": 1, "review_item.decided": 1}


def test_racing_takeover_of_an_expired_claim(desk: ReviewDesk, clock: FakeClock) -> None:
    for n in range(ROUNDS):
        item_id = insert_item(desk.db, f"E{n}")
        desk.claim(item_id, "old")
        clock.advance(minutes=20)
        outcome = _race(desk, item_id, ["ann", "bob", "cid"], "claim")
        assert sorted(outcome.values()) == ["lost", "lost", "won"], outcome
        actions = Counter(e.action for e in audit.entries(desk.db, "review_item", item_id))
        assert actions == {"review_item.claimed": 2, "review_item.expired": 1}


def test_one_reviewer_double_submits(desk: ReviewDesk) -> None:
    """Two tabs of the same reviewer deciding at once: the second is refused, not repeated."""
    for n in range(5):
        item_id = insert_item(desk.db, f"D{n}")
        desk.claim(item_id, "ann")
        outcomes = _race_list(desk, item_id, ["ann", "ann"], "decide")
        assert sorted(outcomes) == ["lost", "won"]
