"""The object-store contract: a local folder (embedded) and MinIO/S3 implement it.

Keys are ``/``-separated and checked by :func:`pipeline.paths.safe_relpath`. No backend's own
exception escapes an implementation: missing keys raise :class:`ObjectNotFound`, an unreachable
store raises :class:`StoreUnavailable`, unsafe keys raise :class:`UnsafePathError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows of one object."""

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Retention:
    """Object-lock state of one object: retention mode and date, and the legal hold."""

    mode: str | None = None  # "GOVERNANCE" or "COMPLIANCE" when a retention date is set
    until: datetime | None = None
    legal_hold: bool = False

    def active(self, now: datetime) -> bool:
        """Whether the object may not be deleted at ``now``."""
        return self.legal_hold or (self.until is not None and self.until > now)


class ObjectStore(Protocol):
    """Put, get, stat, list and delete objects by key, plus the MinIO-only extras."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Store ``data`` under ``key`` (overwrites)."""

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """The object's bytes; :class:`EvidenceError` (evidence_too_large) over ``max_bytes``."""

    def stat(self, key: str) -> ObjectInfo:
        """Size, etag and metadata of an object."""

    def exists(self, key: str) -> bool:
        """Whether an object exists under the key."""

    def list(self, prefix: str, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key order."""

    def delete(self, key: str) -> None:
        """Delete an object (no error if it is already gone)."""

    def presigned_put(self, key: str, *, expires_seconds: int = 3600) -> str:
        """A URL a station can PUT the object to (MinIO only; local raises ConfigError)."""

    def presigned_get(self, key: str, *, expires_seconds: int = 600) -> str:
        """A URL to GET the object (MinIO only; local raises ConfigError)."""

    def set_retention(self, key: str, until: datetime) -> None:
        """Object-lock retention until a date (governance mode); a no-op where unsupported."""

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Set or clear an object-lock legal hold; a no-op where unsupported."""

    def retention(self, key: str) -> Retention:
        """The object's retention and legal hold as the store records them."""
