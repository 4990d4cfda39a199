"""What a station declares before uploading: the manifest plus every file with size and sha256.

Frame folders have no fixed file list in the manifest, so the station lists each frame file.
:func:`check_declaration` matches the list against the manifest the same way the direct upload
(:func:`pipeline.upload.package_files`) reads a folder: one file per photo or video item, the
frame files directly inside each frames folder, nothing else. Every error names the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pipeline.config import LimitSettings
from pipeline.errors import ManifestError, UnsafePathError
from pipeline.package import FRAME_EXTENSIONS, MANIFEST_NAME, LocalPackage
from pipeline.paths import safe_relpath
from pipeline.records import Manifest
from pipeline.upload import content_type_for, package_files

# Objects under results/ are the pipeline's verdicts and artifacts; a station never writes them.
RESERVED_TOP = ("results",)


class FileDecl(BaseModel):
    """One evidence file the station will upload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=512, description="path inside the package")
    size: int = Field(ge=0, description="bytes")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256")


@dataclass(frozen=True)
class Declared:
    """A checked file: where it goes and the Content-Type the PUT must send."""

    name: str
    size: int
    sha256: str
    content_type: str

    def to_json(self) -> dict[str, Any]:
        """The row form kept in ``station_uploads.files``."""
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
        }


def check_declaration(
    manifest: Manifest, files: list[FileDecl], limits: LimitSettings
) -> list[Declared]:
    """The declared files in order, checked against the manifest; ManifestError names the file."""
    items = {i.file: i for i in manifest.evidence if i.kind != "frames"}
    folders = {i.file.rstrip("/") + "/": 0 for i in manifest.evidence if i.kind == "frames"}
    seen: set[str] = set()
    out: list[Declared] = []
    for decl in files:
        name = _safe(decl.name)
        if name in seen:
            raise ManifestError(f"file {name!r} is declared twice")
        seen.add(name)
        if decl.size > limits.max_file_bytes:
            raise ManifestError(
                f"file {name!r} is {decl.size} bytes, over the {limits.max_file_bytes} limit"
            )
        item = items.get(name)
        if item is None:
            folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
            if folder not in folders or not name.lower().endswith(FRAME_EXTENSIONS):
                raise ManifestError(f"file {name!r} is not named by the manifest")
            folders[folder] += 1
            if folders[folder] > limits.max_frames:
                raise ManifestError(f"frames folder {folder!r} has over {limits.max_frames} files")
        elif item.sha256 and item.sha256 != decl.sha256:
            raise ManifestError(f"file {name!r}: sha256 differs from the manifest's")
        out.append(Declared(name, decl.size, decl.sha256, content_type_for(name)))
    missing = [n for n in items if n not in seen] + [f for f, c in folders.items() if c == 0]
    if missing:
        raise ManifestError(f"the manifest names {missing[0]!r} but no file for it is declared")
    return out


def _safe(name: str) -> str:
    try:
        safe_relpath(name, what="file name")
    except UnsafePathError as exc:
        raise ManifestError(str(exc)) from None
    if name == MANIFEST_NAME or name.split("/", 1)[0] in RESERVED_TOP:
        raise ManifestError(f"file name {name!r} is reserved")
    return name


def with_checksums(raw: dict[str, Any], declared: list[Declared]) -> dict[str, Any]:
    """The manifest to store: the station's, plus each verified photo/video file's sha256.

    The checksums make the verify worker notice a file replaced after completion (a presigned
    URL stays usable until it expires); frame files have no manifest field for it.
    """
    by_name = {d.name: d.sha256 for d in declared}
    doc = dict(raw)
    evidence = []
    for item in raw.get("evidence", []):
        entry = dict(item)
        if entry.get("kind", "photo") != "frames" and entry.get("file") in by_name:
            entry["sha256"] = by_name[entry["file"]]
        evidence.append(entry)
    doc["evidence"] = evidence
    return doc


def describe_folder(
    folder: str | Path, manifest: Manifest, limits: LimitSettings
) -> list[FileDecl]:
    """The client's side: every file of a local package with its size and sha256."""
    source = LocalPackage(folder)
    out = []
    for name in package_files(Path(folder), manifest, limits.max_file_bytes):
        data = source.read(name, max_bytes=limits.max_file_bytes)
        out.append(FileDecl(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest()))
    return out
