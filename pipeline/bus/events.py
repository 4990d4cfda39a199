"""Object-created events in the shape MinIO's bucket notifications send over AMQP.

MinIO publishes one JSON document per event::

    {"EventName": "s3:ObjectCreated:Put",
     "Key": "inspections/ST01/2024-05-01/abc/manifest.json",        # bucket/key, not encoded
     "Records": [{"eventVersion": "2.0", "eventSource": "minio:s3",
                  "eventName": "s3:ObjectCreated:Put", "eventTime": "2024-05-01T08:00:00.000Z",
                  "s3": {"s3SchemaVersion": "1.0",
                         "bucket": {"name": "inspections", "arn": "arn:aws:s3:::inspections"},
                         "object": {"key": "ST01%2F2024-05-01%2Fabc%2Fmanifest.json",
                                    "size": 1234, "eTag": "…", "sequencer": "…"}}}]}

The record's object key is URL-encoded the way Go's ``url.QueryEscape`` does it (``/`` as
``%2F``, space as ``+``); AWS S3 uses the same form-encoding. :func:`parse_object_events`
decodes both. Older MinIO releases wrote ``EventType`` instead of ``EventName``; records are
what we read, so both parse.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from pipeline.errors import PermanentError

MAX_EVENT_BYTES = 1_048_576
OBJECT_CREATED_PUT = "s3:ObjectCreated:Put"


@dataclass(frozen=True)
class ObjectEvent:
    """One object event: where the object is and what happened to it."""

    bucket: str
    key: str  # URL-decoded
    size: int
    etag: str
    event_name: str


def object_created_event(
    bucket: str,
    key: str,
    size: int,
    etag: str,
    *,
    event_time: datetime | None = None,
    event_name: str = OBJECT_CREATED_PUT,
) -> bytes:
    """The JSON body MinIO would publish for an object created under ``bucket``/``key``."""
    when = (event_time or datetime.now(UTC)).astimezone(UTC)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    record = {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": stamp,
        "eventName": event_name,
        "userIdentity": {"principalId": "inspectpipe"},
        "requestParameters": {},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "inspectpipe-manifests",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "inspectpipe"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": quote_plus(key, safe=""),
                "size": int(size),
                "eTag": etag.strip('"'),
                "sequencer": uuid.uuid4().hex[:16].upper(),
            },
        },
    }
    doc = {"EventName": event_name, "Key": f"{bucket}/{key}", "Records": [record]}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def parse_object_events(body: bytes) -> list[ObjectEvent]:
    """The object events in a notification body; :class:`PermanentError` when malformed."""
    if len(body) > MAX_EVENT_BYTES:
        raise PermanentError(f"object event is {len(body)} bytes, over {MAX_EVENT_BYTES}")
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PermanentError(f"object event is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise PermanentError("object event must be a JSON object with 'Records'")
    records = doc.get("Records")
    if not isinstance(records, list):
        raise PermanentError("object event has no 'Records' list")
    return [_record(r, i) for i, r in enumerate(records)]


def _record(rec: Any, i: int) -> ObjectEvent:
    where = f"object event Records[{i}]"
    name = _field(rec, where, "eventName", str)
    s3 = _field(rec, where, "s3", dict)
    bucket = _field(_field(s3, where + ".s3", "bucket", dict), where + ".s3.bucket", "name", str)
    obj = _field(s3, where + ".s3", "object", dict)
    raw_key = _field(obj, where + ".s3.object", "key", str)
    size = obj.get("size", 0)
    if isinstance(size, str) and size.isdigit():  # Ceph sends sizes as strings
        size = int(size)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise PermanentError(f"{where}.s3.object.size must be a non-negative integer")
    etag = obj.get("eTag", "")
    if not isinstance(etag, str):
        raise PermanentError(f"{where}.s3.object.eTag must be a string")
    key = unquote_plus(raw_key)
    if not bucket or not key:
        raise PermanentError(f"{where} has an empty bucket name or object key")
    return ObjectEvent(bucket=bucket, key=key, size=size, etag=etag.strip('"'), event_name=name)


def _field(parent: Any, where: str, name: str, kind: type) -> Any:
    value = parent.get(name) if isinstance(parent, dict) else None
    if not isinstance(value, kind):
        raise PermanentError(f"{where}.{name} is missing or not a {kind.__name__}")
    return value
