"""MinIO-shaped object-created events: building, parsing, and rejecting malformed bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.bus.events import ObjectEvent, object_created_event, parse_object_events
from pipeline.errors import PermanentError

# A notification as MinIO sends it over AMQP (trimmed of fields we do not read).
MINIO_SAMPLE = {
    "EventName": "s3:ObjectCreated:Put",
    "Key": "inspections/ST01/2024-05-01/abc 1/manifest.json",
    "Records": [
        {
            "eventVersion": "2.0",
            "eventSource": "minio:s3",
            "awsRegion": "",
            "eventTime": "2024-05-01T08:00:00.123Z",
            "eventName": "s3:ObjectCreated:Put",
            "userIdentity": {"principalId": "minioadmin"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "Config",
                "bucket": {"name": "inspections", "arn": "arn:aws:s3:::inspections"},
                "object": {
                    "key": "ST01%2F2024-05-01%2Fabc+1%2Fmanifest.json",
                    "size": 1234,
                    "eTag": "f22d66a7d0dbbc4a7cf1122eeeb1a106",
                    "contentType": "application/json",
                    "sequencer": "17B6F0C3A1B2C3D4",
                },
            },
        }
    ],
}


def test_parses_a_minio_notification() -> None:
    (ev,) = parse_object_events(json.dumps(MINIO_SAMPLE).encode())
    assert ev == ObjectEvent(
        bucket="inspections",
        key="ST01/2024-05-01/abc 1/manifest.json",
        size=1234,
        etag="f22d66a7d0dbbc4a7cf1122eeeb1a106",
        event_name="s3:ObjectCreated:Put",
    )


def test_builds_the_minio_shape() -> None:
    when = datetime(2024, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
    body = object_created_event(
        "inspections", "ST01/检验/manifest.json", 10, '"abc"', event_time=when
    )
    doc = json.loads(body)
    assert doc["EventName"] == "s3:ObjectCreated:Put"
    assert doc["Key"] == "inspections/ST01/检验/manifest.json"
    (rec,) = doc["Records"]
    assert (rec["eventVersion"], rec["eventSource"]) == ("2.0", "minio:s3")
    assert rec["eventTime"] == "2024-05-01T08:00:00.123Z"
    assert rec["s3"]["bucket"]["name"] == "inspections"
    assert rec["s3"]["object"]["key"] == "ST01%2F%E6%A3%80%E9%AA%8C%2Fmanifest.json"
    assert (rec["s3"]["object"]["size"], rec["s3"]["object"]["eTag"]) == (10, "abc")


@given(
    key=st.text(min_size=1, max_size=80).filter(lambda k: "\x00" not in k),
    size=st.integers(min_value=0, max_value=2**40),
)
def test_round_trip(key: str, size: int) -> None:
    (ev,) = parse_object_events(object_created_event("b", key, size, "e"))
    assert (ev.bucket, ev.key, ev.size, ev.etag) == ("b", key, size, "e")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"EventName": "x"}', "Records"),
        (b'{"Records": [{"eventName": "x"}]}', r"Records\[0\]\.s3"),
        (b'{"Records": [{"eventName": "x", "s3": {"bucket": {"name": "b"}}}]}', "object"),
        (
            b'{"Records": [{"eventName": "x", "s3": {"bucket": {"name": "b"},'
            b' "object": {"key": "k", "size": -1}}}]}',
            "size",
        ),
        (
            b'{"Records": [{"eventName": "x", "s3": {"bucket": {"name": "b"},'
            b' "object": {"key": ""}}}]}',
            "empty",
        ),
    ],
)
def test_malformed_bodies_are_permanent_errors(body: bytes, message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        parse_object_events(body)
