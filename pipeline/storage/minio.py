"""The MinIO/S3 object store (``store.backend = "minio"``), on the ``minio`` SDK.

Errors are mapped at this boundary, in :func:`_mapped`; no ``S3Error`` or urllib3 error escapes:

    S3Error NoSuchKey / NoSuchBucket / NoSuchVersion    -> ObjectNotFound
    S3Error SlowDown / InternalError / 5xx, ServerError -> StoreUnavailable (transient)
    urllib3 MaxRetryError / timeouts, ConnectionError   -> StoreUnavailable
    S3Error AccessDenied / bad credentials / others     -> PermanentError (names the cause)

The HTTP client uses short timeouts and two retries, so a store that is down fails within a few
seconds and the caller's own backoff decides what happens next. Bucket setup (object lock,
lifecycle, the AMQP notification) lives in :mod:`pipeline.storage.minio_setup`.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3
from minio import Minio
from minio.commonconfig import GOVERNANCE, Tags
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from minio.helpers import check_bucket_name
from minio.retention import Retention as S3Retention

from pipeline.config import StoreSettings
from pipeline.errors import (
    ConfigError,
    ObjectNotFound,
    PermanentError,
    StoreUnavailable,
    TransientError,
)
from pipeline.storage.base import ObjectInfo, Retention
from pipeline.storage.common import check_key, check_metadata, check_prefix, too_large

log = logging.getLogger(__name__)

_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObject", "ResourceNotFound"}
_BUSY = {
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
    "XMinioServerNotInitialized",
}
_NO_LOCK = {"InvalidRequest", "ObjectLockConfigurationNotFoundError", "NotImplemented"}
_META_PREFIX = "x-amz-meta-"


@contextlib.contextmanager
def _mapped(what: str, key: str | None = None) -> Iterator[None]:
    """Turn SDK and HTTP exceptions into the package's own."""
    try:
        yield
    except S3Error as exc:
        if exc.code in _NOT_FOUND:
            raise ObjectNotFound(f"{what}: {exc.code} ({exc.message})", key=key) from None
        if exc.code in _BUSY:
            raise StoreUnavailable(f"{what}: store busy ({exc.code})", key=key) from None
        raise PermanentError(f"{what}: {exc.code} ({exc.message})", key=key) from None
    except ServerError as exc:
        raise StoreUnavailable(f"{what}: server error {exc.status_code}", key=key) from None
    except InvalidResponseError as exc:
        raise TransientError(f"{what}: invalid response from the store: {exc}", key=key) from None
    except (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError) as exc:
        raise StoreUnavailable(
            f"{what}: store unreachable ({type(exc).__name__})", key=key
        ) from None
    except MinioException as exc:
        raise PermanentError(f"{what}: {exc}", key=key) from None


mapped = _mapped  # public name for modules that call the client directly


def make_client(cfg: StoreSettings) -> Minio:
    """A MinIO client with short timeouts, for a store that must fail fast when down."""
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=2.0, read=20.0),
        maxsize=10,
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )
    try:
        return Minio(
            cfg.endpoint,
            access_key=cfg.access_key or None,
            secret_key=cfg.secret_key or None,
            secure=cfg.secure,
            region=cfg.region or None,
            http_client=http,
        )
    except ValueError as exc:
        raise PermanentError(f"store.endpoint {cfg.endpoint!r} is not usable: {exc}") from None


class MinioStore:
    """Objects in one bucket of a MinIO (or other S3) server."""

    def __init__(self, cfg: StoreSettings, client: Minio | None = None) -> None:
        self.cfg = cfg
        try:
            check_bucket_name(cfg.bucket, strict=True)
        except ValueError as exc:
            raise ConfigError(
                f"store.bucket {cfg.bucket!r} is not a valid S3 bucket name: {exc}"
            ) from None
        self.bucket = cfg.bucket
        self.client = client or make_client(cfg)

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Store ``data`` under ``key`` (single-part upload, so the etag is the MD5).

        The returned info comes from the PUT's own response (no second request); the server's
        modification time is included when the response carries it.
        """
        key = check_key(key)
        meta = check_metadata(metadata)
        with _mapped(f"put {key!r}", key):
            result = self.client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=dict(meta) or None,
            )
        return ObjectInfo(
            key=key,
            size=len(data),
            etag=(result.etag or "").strip('"'),
            last_modified=result.last_modified,
            content_type=content_type,
            metadata=meta,
        )

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """The object's bytes; over ``max_bytes`` raises from the header, body left unread."""
        key = check_key(key)
        with _mapped(f"get {key!r}", key):
            resp = self.client.get_object(self.bucket, key)
            try:
                length = int(resp.headers.get("Content-Length", "-1"))
                if max_bytes is not None and length > max_bytes:
                    raise too_large(key, length, max_bytes)
                data = resp.read() if max_bytes is None else resp.read(max_bytes + 1)
            finally:
                resp.close()
                resp.release_conn()
        if max_bytes is not None and len(data) > max_bytes:
            raise too_large(key, len(data), max_bytes)
        return bytes(data)

    def stat(self, key: str) -> ObjectInfo:
        """Size, etag, content type and user metadata of an object."""
        key = check_key(key)
        with _mapped(f"stat {key!r}", key):
            st = self.client.stat_object(self.bucket, key)
        headers = st.metadata or {}
        user = {
            k[len(_META_PREFIX) :].lower(): v
            for k, v in headers.items()
            if k.lower().startswith(_META_PREFIX)
        }
        return ObjectInfo(
            key=key,
            size=int(st.size or 0),
            etag=(st.etag or "").strip('"'),
            last_modified=st.last_modified,
            content_type=st.content_type,
            metadata=user,
        )

    def exists(self, key: str) -> bool:
        """Whether an object exists under the key."""
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` in key order (S3 lists in UTF-8 byte order); no folders."""
        prefix = check_prefix(prefix)
        with _mapped(f"list {prefix!r}"):
            found = self.client.list_objects(self.bucket, prefix=prefix, recursive=recursive)
            for obj in found:
                if obj.is_dir or obj.object_name is None:
                    continue
                yield ObjectInfo(
                    key=obj.object_name,
                    size=int(obj.size or 0),
                    etag=(obj.etag or "").strip('"'),
                    last_modified=obj.last_modified,
                )

    def delete(self, key: str) -> None:
        """Delete an object (no error when missing); refuses one under retention or hold.

        An object-lock bucket is versioned: a plain delete would only add a delete marker and
        leave the evidence behind, so every version of the key is removed by version id, and
        the server's refusal of a locked version becomes :class:`PermanentError`.
        """
        key = check_key(key)
        with _mapped(f"delete {key!r}", key):
            if not self.cfg.object_lock:
                self.client.remove_object(self.bucket, key)
                return
            found = self.client.list_objects(self.bucket, prefix=key, include_version=True)
            for version in [o.version_id for o in found if o.object_name == key]:
                try:
                    self.client.remove_object(self.bucket, key, version_id=version)
                except S3Error as exc:
                    if exc.code != "AccessDenied":
                        raise
                    raise PermanentError(
                        f"object {key!r} is under retention or legal hold (or the store "
                        "credentials may not delete)",
                        key=key,
                    ) from None

    def presigned_put(self, key: str, *, expires_seconds: int = 3600) -> str:
        """A URL a station PUTs the file to, with its real Content-Type header."""
        key = check_key(key)
        with _mapped(f"presign put {key!r}", key):
            return self.client.presigned_put_object(
                self.bucket, key, expires=timedelta(seconds=expires_seconds)
            )

    def presigned_get(self, key: str, *, expires_seconds: int = 600) -> str:
        """A URL to GET the object."""
        key = check_key(key)
        with _mapped(f"presign get {key!r}", key):
            return self.client.presigned_get_object(
                self.bucket, key, expires=timedelta(seconds=expires_seconds)
            )

    def set_retention(self, key: str, until: datetime) -> None:
        """Governance-mode retention; a logged no-op on a bucket without object lock."""
        key = check_key(key)
        if until.tzinfo is None:
            raise PermanentError("retention date must be timezone-aware", key=key)
        rule = S3Retention(GOVERNANCE, until.astimezone(UTC))
        self._lock_call("set retention", key, self.client.set_object_retention, rule)

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Set or clear a legal hold; a logged no-op on a bucket without object lock."""
        key = check_key(key)
        call = self.client.enable_object_legal_hold if on else self.client.disable_object_legal_hold
        self._lock_call("set legal hold", key, call)

    def retention(self, key: str) -> Retention:
        """Retention and legal hold, read from the HEAD reply's object-lock headers.

        (GetObjectRetention replies from some S3 servers, moto among them, do not parse in
        minio-py; the HEAD headers carry the same facts.)
        """
        key = check_key(key)
        with _mapped(f"stat {key!r}", key):
            st = self.client.stat_object(self.bucket, key)
        headers = {k.lower(): v for k, v in (st.metadata or {}).items()}
        until = headers.get("x-amz-object-lock-retain-until-date")
        return Retention(
            mode=headers.get("x-amz-object-lock-mode"),
            until=_parse_time(until) if until else None,
            legal_hold=headers.get("x-amz-object-lock-legal-hold", "").upper() == "ON",
        )

    def set_tags(self, key: str, tags: Mapping[str, str]) -> None:
        """Replace an object's tags (the lifecycle rule expires ``retention=expired``)."""
        key = check_key(key)
        obj_tags = Tags.new_object_tags()
        obj_tags.update(tags)
        with _mapped(f"tag {key!r}", key):
            self.client.set_object_tags(self.bucket, key, obj_tags)

    def setup_bucket(self, object_lock: bool | None = None) -> dict[str, bool]:
        """Create the bucket, lifecycle rule and AMQP notification (see ``minio_setup``)."""
        from pipeline.storage.minio_setup import setup_bucket

        lock = self.cfg.object_lock if object_lock is None else object_lock
        return setup_bucket(self.client, self.bucket, object_lock=lock, region=self.cfg.region)

    def ensure_bucket(self) -> dict[str, bool]:
        """Set the bucket up as the settings say (idempotent)."""
        return self.setup_bucket()

    def _lock_call(self, what: str, key: str, call: Any, *args: Any) -> None:
        with _mapped(f"{what} {key!r}", key):
            try:
                call(self.bucket, key, *args)
            except S3Error as exc:
                if exc.code not in _NO_LOCK:
                    raise
                log.warning(
                    "%s on %r skipped: bucket %r has no object lock (%s)",
                    what,
                    key,
                    self.bucket,
                    exc.code,
                )


def _parse_time(value: str) -> datetime:
    """S3 object-lock dates: ISO-8601 with ``Z``, with or without fractions."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
