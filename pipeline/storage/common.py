"""Checks both object-store backends apply the same way, so they accept the same inputs."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipeline.errors import EvidenceError, PermanentError
from pipeline.paths import safe_relpath

_META_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
# S3 sends user metadata as HTTP headers, so values must be printable ASCII.
_META_VALUE = re.compile(r"^[\x20-\x7e]{0,1024}$")


def check_key(key: str) -> str:
    """The key normalised, or :class:`UnsafePathError`."""
    return safe_relpath(key, what="object key")


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a safe relative path that may end in ``/``."""
    if prefix == "":
        return prefix
    return safe_relpath(prefix, what="object prefix", allow_dir=True)


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """User metadata with lower-cased keys (as S3 returns them); bad names or values raise."""
    out: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        lowered = str(name).lower()
        if not _META_KEY.match(lowered):
            raise PermanentError(f"metadata name {name!r} must be letters, digits, '-' or '_'")
        if not isinstance(value, str) or not _META_VALUE.match(value):
            raise PermanentError(
                f"metadata value for {name!r} must be printable ASCII up to 1024 characters "
                "(URL-encode other text)"
            )
        out[lowered] = value
    return out


def too_large(key: str, size: int, max_bytes: int) -> EvidenceError:
    """The error for an object over the caller's size limit."""
    return EvidenceError(
        f"object {key!r} is {size} bytes, over the limit of {max_bytes}",
        reason="evidence_too_large",
        key=key,
    )
