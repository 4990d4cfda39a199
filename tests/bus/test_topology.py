"""Topic matching, names under a namespace, backoff, and in-process handles sharing queues."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.bus import open_bus
from pipeline.bus.base import EVIDENCE, Q_VERIFY
from pipeline.bus.topology import Names, backoff, topic_matches
from pipeline.errors import PermanentError
from tests.bus.conftest import bus_settings


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("#", "", True),
        ("#", "a.b.c", True),
        ("verdict.fail", "verdict.fail", True),
        ("verdict.fail", "verdict.failed", False),
        ("verdict.*", "verdict.fail", True),
        ("verdict.*", "verdict.fail.x", False),
        ("verdict.*", "verdict", False),
        ("verdict.#", "verdict", True),
        ("*.fail", "verdict.fail", True),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("a.#.z", "a.b.c", False),
    ],
)
def test_topic_matches(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


words = st.lists(st.sampled_from(["a", "b", "verdict", "fail"]), min_size=1, max_size=5)


@given(words)
def test_hash_matches_everything_and_a_key_matches_itself(parts: list[str]) -> None:
    key = ".".join(parts)
    assert topic_matches("#", key) and topic_matches(key, key)
    assert topic_matches(".".join("*" for _ in parts), key)


@given(st.integers(min_value=0, max_value=1000))
def test_backoff_is_capped_and_grows(attempt: int) -> None:
    assert 0 < backoff(attempt, 0.2, 30.0) <= 30.0
    assert backoff(attempt + 1, 0.2, 30.0) >= backoff(attempt, 0.2, 30.0)


def test_names_are_prefixed_and_checked() -> None:
    names = Names("ns1")
    assert names.exchange(EVIDENCE) == "ns1.evidence"
    assert names.queue(Q_VERIFY) == "ns1.verify"
    assert names.logical("ns1.verify") == Q_VERIFY
    assert Names("").queue(Q_VERIFY) == Q_VERIFY
    assert Names("ns1.").queue(Q_VERIFY) == "ns1.verify"
    with pytest.raises(PermanentError):
        names.queue("verify.typo")


def test_inproc_handles_of_one_namespace_share_queues(unique: str) -> None:
    a = open_bus(bus_settings("inproc", f"s{unique}"))
    b = open_bus(bus_settings("inproc", f"s{unique}"))
    other = open_bus(bus_settings("inproc", f"o{unique}"))
    a.declare()
    other.declare()
    a.publish(EVIDENCE, "k", b"x")
    assert b.queue_depth(Q_VERIFY) == 1
    assert other.queue_depth(Q_VERIFY) == 0
    assert b.consume(Q_VERIFY, lambda d: None, idle_timeout=0.2) == 1
    a.delete_topology()  # type: ignore[attr-defined]
    other.delete_topology()  # type: ignore[attr-defined]
