"""``review.decided`` reaches a real RabbitMQ: a queue bound to "verdicts" receives the decision."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from pipeline.bus import open_bus
from pipeline.config import settings_from_dict
from pipeline.db import Database
from pipeline.review.service import ReviewDesk
from tests.review.conftest import FakeClock
from tests.review.seed import insert_item

pytestmark = pytest.mark.rabbitmq


def test_decision_is_published_to_rabbitmq(
    db: Database, clock: FakeClock, rabbitmq_url: str, unique: str
) -> None:
    import pika

    namespace = f"t{unique}"
    settings = settings_from_dict(
        {"bus": {"backend": "rabbitmq", "url": rabbitmq_url, "namespace": namespace}}
    )
    bus = open_bus(settings)
    bus.declare()
    conn = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, f"{namespace}.verdicts", routing_key="review.decided")
        desk = ReviewDesk(db=db, clock=clock, lease=timedelta(minutes=15), bus=bus)
        item_id = insert_item(db, "RMQ1")
        desk.claim(item_id, "ann")
        item = desk.decide(item_id, "ann", "clear", reason="photo_acceptable")
        deadline = time.monotonic() + 10
        method, props, body = channel.basic_get(queue, auto_ack=True)
        while method is None and time.monotonic() < deadline:
            time.sleep(0.1)
            method, props, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None, "review.decided did not arrive"
        event = json.loads(body)
        assert (event["item_id"], event["decision"], event["final_verdict"]) == (
            item_id,
            "clear",
            "pass",
        )
        assert props.message_id == f"review.decided:{item_id}:{item.version}"
        assert props.headers["inspection_id"] == "RMQ1"
    finally:
        conn.close()
        bus.close()
        bus.delete_topology()  # type: ignore[attr-defined]
