"""Fixtures: the same bus contract over the in-process bus and the real RabbitMQ."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from pipeline.bus import open_bus
from pipeline.bus.base import MessageBus
from pipeline.config import Settings, settings_from_dict


def bus_settings(backend: str, namespace: str, url: str = "", **bus: object) -> Settings:
    """Bus settings for tests: small limits and a 2 s heartbeat, in a namespace of its own."""
    doc: dict[str, object] = {
        "backend": backend,
        "namespace": namespace,
        "delivery_limit": 2,
        "heartbeat": 2,
        "retry_max_seconds": 2.0,
    }
    if url:
        doc["url"] = url
    doc.update(bus)
    return settings_from_dict({"bus": doc})


@pytest.fixture(params=["inproc", "rabbitmq"])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test."""
    return str(request.param)


@pytest.fixture
def namespace(unique: str) -> str:
    """A namespace no other test uses."""
    return f"t{unique}"


@pytest.fixture
def settings(backend: str, namespace: str, request: pytest.FixtureRequest) -> Settings:
    """Settings for the backend under test."""
    url = request.getfixturevalue("rabbitmq_url") if backend == "rabbitmq" else ""
    return bus_settings(backend, namespace, url)


@pytest.fixture
def bus(settings: Settings) -> Iterator[MessageBus]:
    """A bus with its topology declared, deleted again afterwards."""
    b = open_bus(settings)
    b.declare()
    try:
        yield b
    finally:
        b.close()
        b.delete_topology()  # type: ignore[attr-defined]


def wait_depth(bus: MessageBus, queue: str, expected: int, within: float = 5.0) -> int:
    """Poll a queue's depth until it is ``expected`` (or the time is up); the last value."""
    deadline = time.monotonic() + within
    depth = bus.queue_depth(queue)
    while depth != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        depth = bus.queue_depth(queue)
    return depth
