"""The station's side of the upload API (``inspectpipe upload --server URL --key KEY``).

Check the package locally (as the direct upload does), declare its files with size and
sha256, PUT the ones the server asks for straight to the object store, then complete. Run it
again after an interruption: the server answers URLs only for what is still missing. Neither
the key nor any presigned URL is ever logged or put in an error message.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pipeline.config import LimitSettings
from pipeline.errors import (
    Conflict,
    EvidenceError,
    ManifestError,
    PermanentError,
    PipelineError,
    TransientError,
)
from pipeline.manifest import parse_manifest
from pipeline.package import MANIFEST_NAME, LocalPackage
from pipeline.stations.declare import describe_folder

log = logging.getLogger(__name__)
BASE = "/api/stations/v1"
RETRIES = 3
MAX_WAIT = 30.0


class _NoQueryStrings(logging.Filter):
    """httpx logs each request's full URL at INFO: drop the query, which holds the signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a.copy_with(query=None) if isinstance(a, httpx.URL) and a.query else a
                for a in record.args
            )
        return True


# Installed on import: any httpx request in a process that uploads evidence loses its query.
_REDACT = _NoQueryStrings()
logging.getLogger("httpx").addFilter(_REDACT)


@dataclass
class ClientReport:
    """What one upload through the API did."""

    prefix: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes: int = 0
    event_published: bool = False


class StationClient:
    """Talks to the station API with one key; PUTs go straight to the object store."""

    def __init__(
        self,
        server: str,
        key: str,
        *,
        http: httpx.Client | None = None,
        put_http: httpx.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.http = http or httpx.Client(base_url=server.rstrip("/"), timeout=timeout)
        self.put_http = put_http or httpx.Client(timeout=timeout)
        self._auth = {"Authorization": f"Bearer {key.strip()}"}

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()
        self.put_http.close()

    def begin(self, manifest: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
        """Declare the inspection; the server's answer (URLs for the missing files)."""
        return self._call("POST", f"{BASE}/inspections", {"manifest": manifest, "files": files})

    def complete(self, inspection_id: str, attempt: int) -> dict[str, Any]:
        """Ask the server to check the objects and store the manifest."""
        return self._call("POST", f"{BASE}/inspections/{inspection_id}/{attempt}/complete", None)

    def status(self, inspection_id: str, attempt: int) -> dict[str, Any]:
        """State and missing files of one upload."""
        return self._call("GET", f"{BASE}/inspections/{inspection_id}/{attempt}", None)

    def put(self, ticket: dict[str, Any], data: bytes) -> None:
        """PUT one file to its presigned URL with the headers the server gave."""
        try:
            resp = self.put_http.put(ticket["url"], content=data, headers=ticket["headers"])
        except httpx.HTTPError as exc:
            raise TransientError(
                f"PUT of {ticket['file']} failed: {type(exc).__name__}", key=ticket["file"]
            ) from None
        if resp.status_code >= 300:
            raise _put_error(ticket["file"], resp.status_code)

    def upload(self, folder: str | Path, limits: LimitSettings) -> ClientReport:
        """Upload one package folder through the API (resumes what an earlier run left)."""
        source = LocalPackage(folder)
        raw = source.read(MANIFEST_NAME, max_bytes=limits.max_manifest_bytes)
        manifest = parse_manifest(
            raw, max_bytes=limits.max_manifest_bytes, max_items=limits.max_items
        )
        files = describe_folder(folder, manifest, limits)
        answer = self.begin(json.loads(raw), [f.model_dump() for f in files])
        report = ClientReport(f"{manifest.station_id}/{manifest.inspection_id}/{manifest.attempt}/")
        report.skipped = list(answer.get("present", []))
        for ticket in answer.get("uploads", []):
            data = source.read(ticket["file"], max_bytes=limits.max_file_bytes)
            self.put(ticket, data)
            report.uploaded.append(ticket["file"])
            report.bytes += len(data)
        done = self.complete(manifest.inspection_id, manifest.attempt)
        report.event_published = bool(done.get("event_published"))
        log.info(
            "%s: uploaded %d files through the API, %d already there",
            manifest.inspection_id,
            len(report.uploaded),
            len(report.skipped),
        )
        return report

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        for attempt in range(RETRIES + 1):
            try:
                resp = self.http.request(method, path, json=body, headers=self._auth)
            except httpx.HTTPError as exc:
                raise TransientError(
                    f"station API unreachable: {type(exc).__name__}: {exc}"
                ) from None
            if resp.status_code in (429, 503) and attempt < RETRIES:
                time.sleep(min(MAX_WAIT, float(resp.headers.get("Retry-After", "1") or 1)))
                continue
            if resp.status_code >= 300:
                raise _api_error(resp)
            result: dict[str, Any] = resp.json()
            return result
        raise TransientError("station API: retries exhausted")  # pragma: no cover


def _api_error(resp: httpx.Response) -> PipelineError:
    """The server's JSON error as the package's own exception."""
    try:
        doc = resp.json()
        detail, code = str(doc.get("detail")), str(doc.get("code"))
    except (ValueError, AttributeError):
        detail, code = resp.text[:200], "error"
    message = f"station API: {detail} (HTTP {resp.status_code}, {code})"
    if resp.status_code == 409:
        return Conflict(message)
    if resp.status_code == 422 and code == "incomplete":
        return EvidenceError(message, reason="evidence_missing")
    if resp.status_code == 422:
        return ManifestError(message)
    if resp.status_code in (429, 502, 503, 504):
        return TransientError(message)
    return PermanentError(message)


def _put_error(file: str, status: int) -> PipelineError:
    message = f"PUT of {file} to the object store failed: HTTP {status}"
    if status >= 500:
        return TransientError(message, key=file)
    return PermanentError(message + " (URL expired? run the upload again)", key=file)
