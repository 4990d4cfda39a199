"""The one exception tree of inspectpipe.

    PipelineError                 base of everything the package raises on purpose
    ├── ConfigError               bad config file, key or value; exit code 2
    ├── UsageError                bad command-line use; exit code 2
    ├── TransientError            store/broker/database down or slow: retry with capped backoff
    │   ├── StoreUnavailable
    │   ├── BusUnavailable
    │   └── DatabaseUnavailable
    └── PermanentError            retrying will not help: dead-letter and review item
        ├── ManifestError         the manifest is malformed (names the field)
        ├── EvidenceError         an evidence file is missing or undecodable (names the file)
        ├── UnsafePathError       a file name or object key escapes its package
        ├── ObjectNotFound        the object store has no such key
        └── Conflict              a state transition lost a race (review queue)

Third-party exceptions (``S3Error``, ``pika.exceptions.*``, ``sqlalchemy.exc.*``) are mapped to
these at the adapter boundary and never escape it.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class; ``inspection_id`` and ``key`` say what the error is about when known."""

    def __init__(
        self, message: str, *, inspection_id: str | None = None, key: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.inspection_id = inspection_id
        self.key = key

    def __str__(self) -> str:
        return self.message


class ConfigError(PipelineError):
    """A config file, key, value or environment variable is wrong."""


class UsageError(PipelineError):
    """The command line is wrong."""


class TransientError(PipelineError):
    """A dependency is down or slow; the same work may succeed later."""


class StoreUnavailable(TransientError):
    """The object store could not be reached."""


class BusUnavailable(TransientError):
    """The message broker could not be reached or refused a publish."""


class DatabaseUnavailable(TransientError):
    """The central database could not be reached."""


class PermanentError(PipelineError):
    """Retrying will not help; the work goes to review with this message."""


class ManifestError(PermanentError):
    """The inspection manifest is malformed; the message names the field."""


class EvidenceError(PermanentError):
    """An evidence file is missing, unsafe or cannot be decoded; the message names the file."""

    def __init__(
        self,
        message: str,
        *,
        reason: str = "evidence_unreadable",
        inspection_id: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message, inspection_id=inspection_id, key=key)
        self.reason = reason


class UnsafePathError(PermanentError):
    """A file name or object key would escape its package or is not allowed."""


class ObjectNotFound(PermanentError):
    """The object store has no object under the key."""


class Conflict(PermanentError):
    """A state transition lost a race with another actor."""
