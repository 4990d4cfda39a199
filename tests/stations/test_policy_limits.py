"""The IAM policy confines a station to its prefix; the rate limiter and the body limit."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from pipeline.errors import UnsafePathError
from pipeline.stations.limits import BodyLimit, RateLimiter
from pipeline.stations.policy import station_policy


def allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    """A small IAM evaluator (Allow matched and no Deny matched; wildcards as in IAM)."""
    hit = {"Allow": False, "Deny": False}
    for st in policy["Statement"]:
        if action in st["Action"] and any(fnmatch.fnmatchcase(resource, r) for r in st["Resource"]):
            hit[st["Effect"]] = True
    return hit["Allow"] and not hit["Deny"]


def test_policy_confines_the_station_to_its_prefix() -> None:
    p = station_policy("inspections", "3706000123")
    json.dumps(p)  # serialisable as printed by the CLI
    own = "arn:aws:s3:::inspections/3706000123/370600202611230001/1/0111.jpg"
    other = "arn:aws:s3:::inspections/3706000456/370600202611230001/1/0111.jpg"
    lookalike = "arn:aws:s3:::inspections/37060001234/x/1/0111.jpg"
    result = "arn:aws:s3:::inspections/3706000123/370600202611230001/1/results/v.json"
    assert allowed(p, "s3:PutObject", own) and allowed(p, "s3:GetObject", own)
    for res in (other, lookalike, result):
        assert not allowed(p, "s3:PutObject", res) and not allowed(p, "s3:GetObject", res)
    assert not allowed(p, "s3:DeleteObject", own)
    listing = next(s for s in p["Statement"] if "s3:ListBucket" in s["Action"])
    assert listing["Condition"]["StringLike"]["s3:prefix"] == ["3706000123/", "3706000123/*"]
    with pytest.raises(UnsafePathError):
        station_policy("inspections", "*")


def test_rate_limiter_refills_at_its_rate() -> None:
    now = [0.0]
    rl = RateLimiter(60, 2, clock=lambda: now[0])
    assert rl.take("a") == 0 and rl.take("a") == 0
    assert rl.peek("a") == pytest.approx(1.0)
    wait = rl.take("a")
    assert wait == pytest.approx(1.0)
    assert rl.take("b") == 0  # per station
    now[0] += 1.0
    assert rl.take("a") == 0 and rl.take("a") > 0


async def _run(app: BodyLimit, chunks: list[bytes], length: int | None) -> tuple[int, bytes]:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    scope = {"type": "http", "headers": headers}
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_body_limit_refuses_declared_and_chunked_bodies() -> None:
    import asyncio

    async def echo(scope: Any, receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    app = BodyLimit(echo, 10)
    assert asyncio.run(_run(app, [b"12345", b"6789"], None)) == (200, b"123456789")
    status, body = asyncio.run(_run(app, [b"123456", b"789012"], None))
    assert status == 413 and json.loads(body)["code"] == "too_large"
    assert asyncio.run(_run(app, [b"x"], 11))[0] == 413
