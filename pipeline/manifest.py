"""Parse and validate ``inspection/1`` manifests; every error names the field or file."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from pipeline.errors import ManifestError, UnsafePathError
from pipeline.paths import safe_id, safe_relpath
from pipeline.records import EvidenceItem, Manifest, Vehicle

SCHEMA = "inspection/1"
DEFAULT_MAX_BYTES = 1_048_576
DEFAULT_MAX_ITEMS = 500
_KINDS = ("photo", "frames", "video")
_CODE = re.compile(r"^[0-9A-Z]{1,8}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_TOP_KEYS = {
    "schema",
    "inspection_id",
    "station_id",
    "lane",
    "attempt",
    "started_at",
    "finished_at",
    "vehicle",
    "evidence",
}
_ITEM_KEYS = {"code", "file", "kind", "taken_at", "sha256", "fps"}
_VEHICLE_KEYS = {"plate", "plate_type", "vin", "vehicle_type", "use", "registered_on"}


def parse_manifest(
    data: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> Manifest:
    """Parse manifest bytes into a :class:`Manifest` or raise :class:`ManifestError`."""
    raw_bytes = data.encode() if isinstance(data, str) else data
    if len(raw_bytes) > max_bytes:
        raise ManifestError(f"manifest.json is {len(raw_bytes)} bytes, over the {max_bytes} limit")
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"manifest.json is not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"manifest.json is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    return manifest_from_json(doc, max_items=max_items)


def manifest_from_json(doc: Any, *, max_items: int = DEFAULT_MAX_ITEMS) -> Manifest:
    """Validate a decoded JSON document as a manifest."""
    if not isinstance(doc, dict):
        raise ManifestError("manifest.json must be a JSON object")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ManifestError(f"manifest has unknown field {unknown[0]!r}")
    schema = _str(doc, "schema")
    if schema != SCHEMA:
        raise ManifestError(f"manifest field 'schema' is {schema!r}, expected {SCHEMA!r}")
    inspection_id = _ident(doc, "inspection_id")
    station_id = _ident(doc, "station_id")
    try:
        return _build(doc, schema, inspection_id, station_id, max_items)
    except ManifestError as exc:
        exc.inspection_id = inspection_id
        raise


def _build(
    doc: dict[str, Any], schema: str, inspection_id: str, station_id: str, max_items: int
) -> Manifest:
    lane = doc.get("lane", "")
    if not isinstance(lane, str | int):
        raise ManifestError("manifest field 'lane' must be a string")
    attempt = doc.get("attempt", 1)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or not 1 <= attempt <= 99:
        raise ManifestError("manifest field 'attempt' must be an integer from 1 to 99")
    started = _datetime(doc, "started_at", "started_at")
    finished = _datetime(doc, "finished_at", "finished_at")
    if finished < started:
        raise ManifestError("manifest field 'finished_at' is before 'started_at'")
    evidence = doc.get("evidence")
    if not isinstance(evidence, list) or not evidence:
        raise ManifestError("manifest field 'evidence' must be a non-empty list")
    if len(evidence) > max_items:
        raise ManifestError(
            f"manifest field 'evidence' has {len(evidence)} items, over the {max_items} limit"
        )
    items = tuple(_item(e, i) for i, e in enumerate(evidence))
    seen: set[str] = set()
    for item in items:
        if item.file in seen:
            raise ManifestError(f"evidence file {item.file!r} is named twice")
        seen.add(item.file)
    return Manifest(
        schema=schema,
        inspection_id=inspection_id,
        station_id=station_id,
        lane=str(lane),
        attempt=attempt,
        started_at=started,
        finished_at=finished,
        vehicle=_vehicle(doc.get("vehicle")),
        evidence=items,
        raw=doc,
    )


def _str(doc: dict[str, Any], key: str, where: str = "manifest field") -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where} {key!r} is missing or not a non-empty string")
    return value


def _ident(doc: dict[str, Any], key: str) -> str:
    value = _str(doc, key)
    try:
        return safe_id(value, what=f"manifest field {key!r}")
    except UnsafePathError as exc:
        raise ManifestError(str(exc)) from None


def _datetime(doc: dict[str, Any], key: str, label: str) -> datetime:
    value = _str(doc, key)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ManifestError(
            f"manifest field {label!r} is not an ISO 8601 time: {value!r}"
        ) from None
    if parsed.tzinfo is None:
        raise ManifestError(f"manifest field {label!r} has no UTC offset: {value!r}")
    return parsed


def _vehicle(doc: Any) -> Vehicle:
    if not isinstance(doc, dict):
        raise ManifestError("manifest field 'vehicle' must be an object")
    unknown = sorted(set(doc) - _VEHICLE_KEYS)
    if unknown:
        raise ManifestError(f"manifest field 'vehicle.{unknown[0]}' is not known")
    w = "manifest field"
    vals = {k: _str(doc, k, w + " 'vehicle' key") for k in ("plate", "vin", "vehicle_type")}
    registered = doc.get("registered_on")
    reg_date: date | None = None
    if registered is not None:
        if not isinstance(registered, str):
            raise ManifestError("manifest field 'vehicle.registered_on' must be a date string")
        try:
            reg_date = date.fromisoformat(registered)
        except ValueError:
            raise ManifestError(
                f"manifest field 'vehicle.registered_on' is not a date: {registered!r}"
            ) from None
    vin = vals["vin"].strip().upper()
    if not re.fullmatch(r"[0-9A-Z]{8,17}", vin):
        raise ManifestError(f"manifest field 'vehicle.vin' is not a VIN: {vals['vin']!r}")
    return Vehicle(
        plate=vals["plate"].strip(),
        plate_type=str(doc.get("plate_type", "")),
        vin=vin,
        vehicle_type=vals["vehicle_type"].strip().upper(),
        use=str(doc.get("use", "")).strip().upper(),
        registered_on=reg_date,
    )


def _item(doc: Any, index: int) -> EvidenceItem:
    where = f"evidence[{index}]"
    if not isinstance(doc, dict):
        raise ManifestError(f"{where} must be an object")
    unknown = sorted(set(doc) - _ITEM_KEYS)
    if unknown:
        raise ManifestError(f"{where} has unknown field {unknown[0]!r}")
    code = doc.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise ManifestError(f"{where}.code {code!r} is not a photo-type code")
    kind = doc.get("kind", "photo")
    if kind not in _KINDS:
        raise ManifestError(f"{where}.kind {kind!r} must be one of {', '.join(_KINDS)}")
    file = doc.get("file")
    if not isinstance(file, str):
        raise ManifestError(f"{where}.file is missing or not a string")
    try:
        file = safe_relpath(file, what=f"{where}.file", allow_dir=kind == "frames")
    except UnsafePathError as exc:
        raise ManifestError(str(exc)) from None
    taken_at = None
    if doc.get("taken_at") is not None:
        taken_at = _datetime(doc, "taken_at", f"{where}.taken_at")
    sha = doc.get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA.match(sha.lower())):
        raise ManifestError(f"{where}.sha256 is not 64 hex digits")
    fps = doc.get("fps")
    if fps is not None and (
        not isinstance(fps, int | float) or isinstance(fps, bool) or not 0 < fps <= 240
    ):
        raise ManifestError(f"{where}.fps must be a number in (0, 240]")
    if kind == "frames" and fps is None:
        raise ManifestError(f"{where}.fps is required for kind 'frames'")
    return EvidenceItem(
        code=code,
        file=file,
        kind=kind,
        taken_at=taken_at,
        sha256=sha.lower() if isinstance(sha, str) else None,
        fps=float(fps) if fps is not None else None,
    )
