"""The station upload service: register an inspection, hand out presigned PUT URLs, complete.

    begin(station, manifest, files)   validate, register (or resume) the attempt, and answer a
                                      presigned PUT URL for every declared file not yet stored
    complete(station, id, attempt)    every declared object exists with its size, sha256 and
                                      Content-Type → write manifest.json, publish the event
    status(station, id, attempt)      state and the files still missing

A station only ever addresses ``<its station_id>/...``: the prefix comes from the authenticated
station, never from the request, and another station's attempt answers 404 or 409. Presigned
URLs are returned to the caller and never logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipeline.config import Settings
from pipeline.errors import Conflict, ManifestError, ObjectNotFound, PermanentError
from pipeline.layout import PackageAddress, address_for
from pipeline.manifest import manifest_from_json
from pipeline.stations import rows
from pipeline.stations.declare import Declared, FileDecl, check_declaration, with_checksums
from pipeline.upload import publish_manifest

if TYPE_CHECKING:
    from pipeline.bus.base import MessageBus
    from pipeline.db import Database
    from pipeline.storage.base import ObjectInfo, ObjectStore

log = logging.getLogger(__name__)
# A "completing" upload older than this, with no manifest stored, was abandoned by a crash.
STALE_COMPLETING = timedelta(minutes=5)


class Forbidden(PermanentError):
    """The authenticated station may not act on what the request names."""


class IncompleteUpload(PermanentError):
    """Declared files are missing or differ from the declaration; ``problems`` names each."""

    def __init__(self, problems: list[dict[str, str]], *, inspection_id: str) -> None:
        first = "; ".join(f"{p['file']}: {p['problem']}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(
            f"inspection {inspection_id} is incomplete: {first}{more}", inspection_id=inspection_id
        )
        self.problems = problems


@dataclass(frozen=True)
class Ticket:
    """Where and how to PUT one file."""

    file: str
    url: str
    content_type: str


@dataclass
class Begun:
    """The answer to ``begin``: URLs for the files still to upload."""

    address: PackageAddress
    uploads: list[Ticket] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    expires_in: int = 0


@dataclass(frozen=True)
class Completed:
    """The answer to ``complete``."""

    address: PackageAddress
    files: int
    bytes: int
    event_published: bool


class StationUploads:
    """The service behind the station API (store, bus, database, clock, limits)."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        store: ObjectStore,
        bus: MessageBus | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.bus = bus
        self.clock = clock

    def begin(self, station_id: str, doc: dict[str, Any], files: list[FileDecl]) -> Begun:
        """Register or resume an upload; presigned URLs for the files not yet stored."""
        lim = self.settings.limits
        manifest = manifest_from_json(doc, max_items=lim.max_items)
        if manifest.station_id != station_id:
            raise Forbidden(
                f"the manifest's station_id {manifest.station_id!r} is not this station's",
                inspection_id=manifest.inspection_id,
            )
        declared = check_declaration(manifest, files, lim)
        stored = json.dumps(with_checksums(doc, declared), ensure_ascii=False).encode()
        if len(stored) > lim.max_manifest_bytes:
            raise ManifestError(f"manifest.json would be over {lim.max_manifest_bytes} bytes")
        address = address_for(station_id, manifest.inspection_id, manifest.attempt)
        self._refuse_if_stored(address)
        row = rows.register(
            self.db,
            station_id,
            manifest.inspection_id,
            manifest.attempt,
            doc,
            [d.to_json() for d in declared],
            self.clock(),
        )
        missing = set(self._missing(address, row.files))
        seconds = self.settings.console.upload_url_seconds
        out = Begun(address, expires_in=seconds)
        for d in declared:
            if d.name in missing:
                url = self.store.presigned_put(address.prefix + d.name, expires_seconds=seconds)
                out.uploads.append(Ticket(d.name, url, d.content_type))
            else:
                out.present.append(d.name)
        log.info(
            "%s attempt %d: station %s registered %d files, %d to upload",
            manifest.inspection_id,
            manifest.attempt,
            station_id,
            len(declared),
            len(out.uploads),
        )
        return out

    def complete(self, station_id: str, inspection_id: str, attempt: int) -> Completed:
        """Check every declared object, then write manifest.json and publish the event."""
        row, address = self._own(station_id, inspection_id, attempt)
        self._refuse_if_stored(address)
        if row.state == rows.COMPLETING and self.clock() - row.updated_at > STALE_COMPLETING:
            # A server died between taking the upload and writing the manifest (none exists).
            rows.transition(self.db, row.id, rows.COMPLETING, rows.OPEN, self.clock())
            row.state = rows.OPEN
        if row.state != rows.OPEN:
            raise Conflict(
                f"inspection {inspection_id} attempt {attempt} is already {row.state}",
                inspection_id=inspection_id,
            )
        problems = self._check_files(address, row)
        rows.save_checks(self.db, row.id, row.files, self.clock())
        if problems:
            raise IncompleteUpload(problems, inspection_id=inspection_id)
        rows.transition(self.db, row.id, rows.OPEN, rows.COMPLETING, self.clock())
        declared = [
            Declared(**{k: f[k] for k in ("name", "size", "sha256", "content_type")})
            for f in row.files
        ]
        raw = json.dumps(with_checksums(row.manifest, declared), ensure_ascii=False).encode()
        try:
            published = publish_manifest(self.store, self.bus, self.settings, address, raw)
        except BaseException:
            # Nothing was announced: the station may call complete again.
            rows.transition(self.db, row.id, rows.COMPLETING, rows.OPEN, self.clock())
            raise
        rows.transition(self.db, row.id, rows.COMPLETING, rows.COMPLETE, self.clock())
        total = sum(int(f["size"]) for f in row.files)
        log.info("%s attempt %d: completed by station %s", inspection_id, attempt, station_id)
        return Completed(address, len(row.files), total, published)

    def status(self, station_id: str, inspection_id: str, attempt: int) -> dict[str, Any]:
        """State, file count and the files not yet stored (with their declared size)."""
        row, address = self._own(station_id, inspection_id, attempt)
        missing = self._missing(address, row.files) if row.state == rows.OPEN else []
        return {
            "inspection_id": inspection_id,
            "attempt": attempt,
            "state": row.state,
            "files": len(row.files),
            "missing": missing,
        }

    def _own(
        self, station_id: str, inspection_id: str, attempt: int
    ) -> tuple[rows.UploadRow, PackageAddress]:
        # The address is built from the authenticated station: another station's attempt is
        # simply not found, so its existence is not revealed either.
        address = address_for(station_id, inspection_id, attempt)
        row = rows.find(self.db, inspection_id, attempt)
        if row is None or row.station_id != station_id:
            raise ObjectNotFound(
                f"no upload of inspection {inspection_id} attempt {attempt} for this station",
                inspection_id=inspection_id,
            )
        return row, address

    def _refuse_if_stored(self, address: PackageAddress) -> None:
        if self.store.exists(address.manifest_key):
            raise Conflict(
                f"inspection {address.inspection_id} attempt {address.attempt} is already "
                "complete; it cannot be overwritten (upload a new attempt)",
                inspection_id=address.inspection_id,
            )

    def _listing(self, address: PackageAddress) -> dict[str, ObjectInfo]:
        return {i.key[len(address.prefix) :]: i for i in self.store.list(address.prefix)}

    def _missing(self, address: PackageAddress, files: list[dict[str, Any]]) -> list[str]:
        """Declared files not stored with their size, or stored but found wrong and unchanged."""
        listing = self._listing(address)
        out = []
        for f in files:
            info = listing.get(f["name"])
            known_bad = info is not None and f.get("etag") == info.etag and not f.get("ok")
            if info is None or info.size != f["size"] or known_bad:
                out.append(f["name"])
        return out

    def _check_files(self, address: PackageAddress, row: rows.UploadRow) -> list[dict[str, str]]:
        """Check each declared object; record the result in ``row.files``; the problems."""
        listing = self._listing(address)
        problems = []
        for f in row.files:
            info = listing.get(f["name"])
            problem = None
            if info is None:
                problem = "missing"
            elif info.size != f["size"]:
                problem = f"size is {info.size} bytes, declared {f['size']}"
            elif f.get("etag") == info.etag and f.get("ok"):
                continue  # verified before and not replaced since
            else:
                problem = self._check_object(address.prefix + f["name"], f)
                f["etag"], f["ok"] = info.etag, problem is None
            if problem is not None:
                problems.append({"file": f["name"], "problem": problem})
        return problems

    def _check_object(self, key: str, f: dict[str, Any]) -> str | None:
        """The problem with one stored object (Content-Type, then sha256 of its bytes), or None."""
        sent = (self.store.stat(key).content_type or "").split(";")[0].strip().lower()
        if sent != f["content_type"]:
            return f"stored with Content-Type {sent or 'none'!r}, expected {f['content_type']!r}"
        try:
            data = self.store.get(key, max_bytes=int(f["size"]))
        except ObjectNotFound:
            return "missing"
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            return "sha256 differs from the declared one (altered or corrupted)"
        return None
