"""Manifest parsing: valid packages parse; every kind of bad input names its field."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ManifestError
from pipeline.manifest import parse_manifest
from tests.packages import BASE_MANIFEST


def doc(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(BASE_MANIFEST)
    d["evidence"] = [
        {"code": "0111", "file": "0111.jpg", "taken_at": "2026-11-23T09:13:05+08:00"},
        {"code": "J", "file": "rubbing.jpg"},
        {"code": "0344", "file": "0344/", "kind": "frames", "fps": 5},
    ]
    d.update(changes)
    return d


def test_design_example_parses() -> None:
    m = parse_manifest(json.dumps(doc()))
    assert m.inspection_id == "370600202611230001"
    assert m.vehicle.vin == "LSVAM4187C2184847"
    assert [i.kind for i in m.evidence] == ["photo", "photo", "frames"]
    assert m.evidence[2].fps == 5.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "inspection/2"}, "'schema'"),
        ({"inspection_id": "../etc"}, "inspection_id"),
        ({"station_id": ""}, "station_id"),
        ({"attempt": 0}, "attempt"),
        ({"attempt": True}, "attempt"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-11-23T09:12:00"}, "UTC offset"),
        ({"finished_at": "2026-11-23T08:00:00+08:00"}, "finished_at"),
        ({"evidence": []}, "evidence"),
        ({"vehicle": "x"}, "vehicle"),
        ({"extra": 1}, "unknown field 'extra'"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_manifest(json.dumps(doc(**change)))


@pytest.mark.parametrize(
    "name",
    [
        "../0111.jpg",
        "/etc/passwd",
        "a/../../b.jpg",
        "a\\b.jpg",
        "C:x.jpg",
        "a//b.jpg",
        "x\x00.jpg",
        "./a.jpg",
        "",
        "$(rm).jpg",
    ],
)
def test_escaping_file_names_rejected(name: str) -> None:
    d = doc()
    d["evidence"][0]["file"] = name
    with pytest.raises(ManifestError, match=r"evidence\[0\]\.file"):
        parse_manifest(json.dumps(d))


def test_cjk_file_names_allowed() -> None:
    d = doc()
    d["evidence"][0]["file"] = "照片/左前方.jpg"
    assert parse_manifest(json.dumps(d)).evidence[0].file == "照片/左前方.jpg"


def test_limits() -> None:
    d = doc()
    d["evidence"] = [{"code": "0111", "file": f"{i}.jpg"} for i in range(600)]
    with pytest.raises(ManifestError, match="over the 500 limit"):
        parse_manifest(json.dumps(d))
    with pytest.raises(ManifestError, match="bytes, over"):
        parse_manifest(b" " * 2_000_000)


def test_not_utf8_and_not_json() -> None:
    with pytest.raises(ManifestError, match="not UTF-8"):
        parse_manifest(b'{"schema": "\xff\xfe"}')
    with pytest.raises(ManifestError, match="not valid JSON"):
        parse_manifest(b"{nope")
    with pytest.raises(ManifestError, match="JSON object"):
        parse_manifest(b"[1, 2]")


def test_duplicate_files_and_bad_sha() -> None:
    d = doc()
    d["evidence"][1]["file"] = "0111.jpg"
    with pytest.raises(ManifestError, match="named twice"):
        parse_manifest(json.dumps(d))
    d = doc()
    d["evidence"][0]["sha256"] = "abc"
    with pytest.raises(ManifestError, match="sha256"):
        parse_manifest(json.dumps(d))


def test_frames_need_fps() -> None:
    d = doc()
    del d["evidence"][2]["fps"]
    with pytest.raises(ManifestError, match="fps is required"):
        parse_manifest(json.dumps(d))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    """Any byte string either parses or raises ManifestError; nothing else escapes."""
    with contextlib.suppress(ManifestError):
        parse_manifest(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["schema", "inspection_id", "attempt", "started_at", "vehicle", "evidence", "lane"]
    ),
    json_values,
)
def test_mutated_fields_raise_manifest_error_only(field: str, value: Any) -> None:
    d = doc()
    d[field] = value
    try:
        parse_manifest(json.dumps(d))
    except ManifestError as exc:
        assert str(exc)
