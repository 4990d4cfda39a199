"""Request and response bodies of the station API (they make its OpenAPI description)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pipeline.stations.declare import FileDecl
from pipeline.stations.uploads import Begun, Completed


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InspectionRequest(_Body):
    """An inspection to upload: its manifest (``inspection/1``) and every evidence file."""

    manifest: dict[str, Any] = Field(description="the manifest.json document")
    files: list[FileDecl] = Field(
        max_length=100_000,
        description="every file to upload (each frame of a frames folder too), with size and "
        "sha256; completion checks each object against these",
    )


class Upload(_Body):
    """One presigned PUT."""

    file: str
    url: str = Field(description="presigned; valid for expires_in seconds; keep it secret")
    method: str = "PUT"
    headers: dict[str, str] = Field(description="send exactly these headers with the PUT")


class BeginResponse(_Body):
    """Where to PUT the files that are not stored yet."""

    inspection_id: str
    attempt: int
    state: str = "open"
    expires_in: int = Field(description="seconds the URLs stay valid")
    uploads: list[Upload]
    present: list[str] = Field(description="declared files already stored with their size")

    @classmethod
    def of(cls, begun: Begun) -> BeginResponse:
        """From the service's answer."""
        return cls(
            inspection_id=begun.address.inspection_id,
            attempt=begun.address.attempt,
            expires_in=begun.expires_in,
            uploads=[
                Upload(file=t.file, url=t.url, headers={"Content-Type": t.content_type})
                for t in begun.uploads
            ],
            present=begun.present,
        )


class CompleteResponse(_Body):
    """The inspection is stored and verification has been requested."""

    inspection_id: str
    attempt: int
    state: str = "complete"
    files: int
    bytes: int
    event_published: bool = Field(
        description="false when the object store itself announces new manifests"
    )

    @classmethod
    def of(cls, done: Completed) -> CompleteResponse:
        """From the service's answer."""
        return cls(
            inspection_id=done.address.inspection_id,
            attempt=done.address.attempt,
            files=done.files,
            bytes=done.bytes,
            event_published=done.event_published,
        )


class StatusResponse(_Body):
    """One upload's state."""

    inspection_id: str
    attempt: int
    state: str = Field(description="open, completing or complete")
    files: int
    missing: list[str]


class WhoAmI(_Body):
    """The authenticated station."""

    station_id: str
    name: str


class ErrorBody(BaseModel):
    """Every error: a readable message, a stable code, and the files at fault when any."""

    detail: str
    code: str
    files: list[dict[str, str]] | None = None
