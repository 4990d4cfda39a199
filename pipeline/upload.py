"""A station's upload: check the package locally, put evidence first, the manifest last, then
publish the object-created event (the same shape MinIO's AMQP bucket notifications send).

Nothing is uploaded when the package is bad locally (bad manifest, missing file, sha256
mismatch). Files already in the store with the same MD5 etag are skipped, so an interrupted
upload can simply be run again.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.bus.base import EVIDENCE, MessageBus
from pipeline.bus.events import object_created_event
from pipeline.config import Settings
from pipeline.errors import EvidenceError, ManifestError, ObjectNotFound
from pipeline.layout import PackageAddress, address_for
from pipeline.manifest import parse_manifest
from pipeline.package import FRAME_EXTENSIONS, MANIFEST_NAME, LocalPackage
from pipeline.records import Manifest
from pipeline.storage.base import ObjectInfo, ObjectStore

log = logging.getLogger(__name__)


@dataclass
class UploadReport:
    """What one upload did."""

    address: PackageAddress
    manifest: Manifest
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes: int = 0
    event_published: bool = False


def package_files(folder: Path, manifest: Manifest, max_bytes: int) -> list[str]:
    """Every file the manifest names (frame folders expanded); raise naming the first missing."""
    source = LocalPackage(folder)
    names: list[str] = []
    for item in manifest.evidence:
        if item.kind == "frames":
            frames = [n for n in source.list(item.file) if n.lower().endswith(FRAME_EXTENSIONS)]
            if not frames:
                raise EvidenceError(
                    f"{folder}: frame folder {item.file} is missing or empty",
                    reason="evidence_missing",
                    key=item.file,
                )
            names.extend(sorted(frames))
            continue
        try:
            data = source.read(item.file, max_bytes=max_bytes)
        except ObjectNotFound:
            raise EvidenceError(
                f"{folder}: {item.file} is named by the manifest but missing",
                reason="evidence_missing",
                key=item.file,
            ) from None
        if item.sha256 and hashlib.sha256(data).hexdigest() != item.sha256:
            raise EvidenceError(
                f"{folder}: {item.file} does not match the sha256 in the manifest",
                reason="sha256_mismatch",
                key=item.file,
            )
        names.append(item.file)
    return names


def upload_package(
    folder: str | Path,
    store: ObjectStore,
    bus: MessageBus | None,
    settings: Settings,
) -> UploadReport:
    """Upload one package folder; publish the event unless the store sends it itself."""
    folder = Path(folder)
    lim = settings.limits
    source = LocalPackage(folder)
    try:
        raw = source.read(MANIFEST_NAME, max_bytes=lim.max_manifest_bytes)
    except (ObjectNotFound, EvidenceError) as exc:
        # The same error as the worker gives for this manifest (a station sees one kind).
        raise ManifestError(f"{folder}: manifest.json: {exc}") from None
    manifest = parse_manifest(raw, max_bytes=lim.max_manifest_bytes, max_items=lim.max_items)
    names = package_files(folder, manifest, lim.max_file_bytes)
    address = address_for(manifest.station_id, manifest.inspection_id, manifest.attempt)
    report = UploadReport(address, manifest)
    # One listing instead of one request per file: what an earlier attempt already stored.
    stored = {info.key: info for info in store.list(address.prefix)}
    for name in names:
        data = source.read(name, max_bytes=lim.max_file_bytes)
        key = address.prefix + name
        if _already_stored(stored.get(key), data):
            report.skipped.append(name)
            continue
        store.put(key, data, content_type=content_type_for(name))
        report.uploaded.append(name)
        report.bytes += len(data)
    report.event_published = publish_manifest(store, bus, settings, address, raw)
    report.bytes += len(raw)
    log.info(
        "uploaded %s: %d files, %d skipped, %d bytes",
        manifest.inspection_id,
        len(report.uploaded),
        len(report.skipped),
        report.bytes,
    )
    return report


def publish_manifest(
    store: ObjectStore,
    bus: MessageBus | None,
    settings: Settings,
    address: PackageAddress,
    raw: bytes,
) -> bool:
    """Write the manifest (the last object of a package) and publish its object-created event.

    Shared by the direct upload and the station API's ``complete``. Returns whether the event
    was published here (False when the store's own bucket notification sends it).
    """
    info = store.put(address.manifest_key, raw, content_type="application/json")
    if bus is None or settings.store.events != "upload":
        return False
    body = object_created_event(settings.store.bucket, info.key, info.size, info.etag)
    bus.publish(EVIDENCE, "manifest.created", body, message_id=f"{info.key}@{info.etag}")
    return True


def _already_stored(info: ObjectInfo | None, data: bytes) -> bool:
    if info is None:
        return False
    return info.size == len(data) and info.etag.strip('"') == hashlib.md5(data).hexdigest()


def content_type_for(name: str) -> str:
    """The Content-Type an evidence file is stored with (from its extension)."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"
