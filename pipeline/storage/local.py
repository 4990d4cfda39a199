"""The embedded object store: one folder per bucket on the local disk.

Objects are plain files under the bucket folder, so an operator can look at them. Writes go to
a temporary file and are renamed into place, so a reader never sees half an object. What a file
cannot carry (content type, user metadata, etag, retention, legal hold) lives in a JSON sidecar
under the hidden ``.meta/`` tree, which listings skip; keys can never start with a dot
(:func:`pipeline.paths.safe_relpath`), so no key collides with it.

Retention and legal holds are recorded, not enforced by the file system: ``put`` and ``delete``
refuse an object whose hold is active, and a sweeper reads :meth:`LocalStore.retention`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, ObjectNotFound, PermanentError, StoreUnavailable
from pipeline.storage.base import ObjectInfo, Retention
from pipeline.storage.common import check_key, check_metadata, check_prefix, too_large

META_DIR = ".meta"
_CHUNK = 1024 * 1024


class LocalStore:
    """Objects as files under ``root`` (the bucket folder)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._meta_lock = threading.Lock()  # serialises sidecar read-modify-write
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create store folder {self.root}: {exc}") from None

    # -- paths -------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / META_DIR / (check_key(key) + ".json")

    # -- contract ----------------------------------------------------------------------------

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Store ``data`` under ``key`` atomically (overwrites unless the object is held)."""
        path = self._path(key)
        meta = check_metadata(metadata)
        with self._meta_lock:
            old = self._read_meta(key)
            if _held(old):
                raise PermanentError(f"object {key!r} is under retention or legal hold", key=key)
            etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
            _write_atomic(path, data, key)
            doc = {"etag": etag, "content_type": content_type, "metadata": meta}
            _write_atomic(self._meta_path(key), json.dumps(doc).encode(), key)
        return self.stat(key)

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """The object's bytes; over ``max_bytes`` raises before reading the body."""
        path = self._path(key)
        try:
            with path.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if max_bytes is not None and size > max_bytes:
                    raise too_large(key, size, max_bytes)
                # Read one byte past the limit in case the file grew after fstat.
                data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(f"no object {key!r} in {self.root}", key=key) from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read object {key!r}: {exc}", key=key) from None
        if max_bytes is not None and len(data) > max_bytes:
            raise too_large(key, len(data), max_bytes)
        return data

    def stat(self, key: str) -> ObjectInfo:
        """Size, etag, content type and metadata of an object."""
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"no object {key!r} in {self.root}", key=key) from None
        if not path.is_file():
            raise ObjectNotFound(f"{key!r} is a folder, not an object", key=key)
        meta = self._read_meta(key)
        etag = meta.get("etag") or _md5_file(path)
        return ObjectInfo(
            key=check_key(key),
            size=st.st_size,
            etag=etag,
            last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
            content_type=meta.get("content_type") or "application/octet-stream",
            metadata=dict(meta.get("metadata") or {}),
        )

    def exists(self, key: str) -> bool:
        """Whether an object exists under the key."""
        return self._path(key).is_file()

    def list(self, prefix: str, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key (UTF-8 byte) order, like S3.

        Not recursive: only objects directly under the prefix's folder; sub-folders are not
        reported (callers list objects, never folders).
        """
        prefix = check_prefix(prefix)
        folder = prefix.rpartition("/")[0]
        start = self.root / folder if folder else self.root
        keys = [k for k in self._walk(start, recursive) if k.startswith(prefix)]
        for key in sorted(keys, key=lambda k: k.encode("utf-8")):
            with contextlib.suppress(ObjectNotFound):  # deleted while we were listing
                yield self.stat(key)

    def delete(self, key: str) -> None:
        """Delete an object and its sidecar; no error if already gone; refuses a held object."""
        path = self._path(key)
        with self._meta_lock:
            if _held(self._read_meta(key)):
                raise PermanentError(f"object {key!r} is under retention or legal hold", key=key)
            for p in (path, self._meta_path(key)):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    p.unlink()
        self._prune(path.parent)
        self._prune(self._meta_path(key).parent)

    def presigned_put(self, key: str, *, expires_seconds: int = 3600) -> str:
        """Not available: the local store has no HTTP endpoint."""
        raise ConfigError("presigned URLs need the minio backend (store.backend = 'minio')")

    def presigned_get(self, key: str, *, expires_seconds: int = 600) -> str:
        """Not available: the local store has no HTTP endpoint."""
        raise ConfigError("presigned URLs need the minio backend (store.backend = 'minio')")

    def set_retention(self, key: str, until: datetime) -> None:
        """Record governance-mode retention until ``until`` in the sidecar."""
        if until.tzinfo is None:
            raise PermanentError("retention date must be timezone-aware", key=key)
        self._update_meta(key, retention_mode="GOVERNANCE", retain_until=until.isoformat())

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Record or clear a legal hold in the sidecar."""
        self._update_meta(key, legal_hold=bool(on))

    def retention(self, key: str) -> Retention:
        """The retention and legal hold recorded for an object."""
        if not self.exists(key):
            raise ObjectNotFound(f"no object {key!r} in {self.root}", key=key)
        return _retention_of(self._read_meta(key))

    # -- internals ---------------------------------------------------------------------------

    def _walk(self, start: Path, recursive: bool) -> Iterator[str]:
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            # Skip the sidecar tree and temporary files (names starting with a dot).
            dirnames[:] = [d for d in dirnames if not d.startswith(".")] if recursive else []
            rel = Path(dirpath).relative_to(self.root)
            for name in filenames:
                if not name.startswith("."):
                    yield (rel / name).as_posix() if rel.parts else name

    def _read_meta(self, key: str) -> dict[str, Any]:
        try:
            doc = json.loads(self._meta_path(key).read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(f"sidecar of {key!r} is unreadable: {exc}", key=key) from None
        return doc if isinstance(doc, dict) else {}

    def _update_meta(self, key: str, **changes: Any) -> None:
        with self._meta_lock:
            if not self.exists(key):
                raise ObjectNotFound(f"no object {key!r} in {self.root}", key=key)
            doc = self._read_meta(key)
            doc.update(changes)
            _write_atomic(self._meta_path(key), json.dumps(doc).encode(), key)

    def _prune(self, folder: Path) -> None:
        """Remove empty folders up to the bucket root (best effort; a racing put re-creates)."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


def _write_atomic(path: Path, data: bytes, key: str) -> None:
    """Write to a temporary sibling and rename it into place."""
    for _attempt in range(3):  # a concurrent delete may prune the folder we just made
        tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            return
        except FileNotFoundError:
            continue
        except (NotADirectoryError, IsADirectoryError, FileExistsError):
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise PermanentError(
                f"object key {key!r} clashes with another key used as a folder", key=key
            ) from None
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StoreUnavailable(f"cannot write object {key!r}: {exc}", key=key) from None
    raise StoreUnavailable(f"cannot write object {key!r}: its folder keeps vanishing", key=key)


def _md5_file(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _retention_of(meta: dict[str, Any]) -> Retention:
    until = meta.get("retain_until")
    return Retention(
        mode=meta.get("retention_mode"),
        until=datetime.fromisoformat(until) if until else None,
        legal_hold=bool(meta.get("legal_hold", False)),
    )


def _held(meta: dict[str, Any]) -> bool:
    return _retention_of(meta).active(datetime.now(UTC))
