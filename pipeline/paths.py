"""Safe names for evidence files and object keys: nothing may escape its package."""

from __future__ import annotations

import re

from pipeline.errors import UnsafePathError

# Letters, digits and a few separators; CJK is allowed in names stations give their files.
_SEGMENT = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff.\-+()]{0,127}$")
MAX_NAME = 512


def safe_relpath(name: str, *, what: str = "file name", allow_dir: bool = False) -> str:
    """Return ``name`` normalised if it is a safe relative path inside a package, else raise.

    Rejects absolute paths, ``..``, backslashes, empty or dot segments, control characters and
    anything outside a conservative character set. A trailing ``/`` is kept when ``allow_dir``.
    """
    if not isinstance(name, str) or not name:
        raise UnsafePathError(f"{what} is empty or not a string")
    if len(name) > MAX_NAME:
        raise UnsafePathError(f"{what} {name[:40]!r}... is longer than {MAX_NAME} characters")
    trailing = name.endswith("/")
    if trailing and not allow_dir:
        raise UnsafePathError(f"{what} {name!r} names a folder where a file is expected")
    body = name[:-1] if trailing else name
    if body.startswith("/") or "\\" in body or ":" in body:
        raise UnsafePathError(f"{what} {name!r} is absolute or uses a forbidden separator")
    segments = body.split("/")
    for seg in segments:
        if seg in ("", ".", ".."):
            raise UnsafePathError(f"{what} {name!r} has an empty, '.' or '..' segment")
        if not _SEGMENT.match(seg):
            raise UnsafePathError(f"{what} {name!r} has characters that are not allowed")
    return body + ("/" if trailing else "")


def safe_id(value: str, *, what: str) -> str:
    """Check an identifier used in object keys (station, inspection): letters, digits, - and _."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", value):
        raise UnsafePathError(f"{what} {value!r} must be 1-64 letters, digits, '-' or '_'")
    return value
