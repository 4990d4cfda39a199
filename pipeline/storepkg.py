"""A package read from an object-store prefix (what the verify worker reads)."""

from __future__ import annotations

from pipeline.paths import safe_relpath
from pipeline.storage.base import ObjectStore


class StorePackage:
    """The files under one object prefix, as a :class:`pipeline.package.PackageSource`."""

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.label = self.prefix

    def read(self, name: str, *, max_bytes: int) -> bytes:
        """Read one file of the package (ObjectNotFound if absent)."""
        return self.store.get(self.prefix + safe_relpath(name), max_bytes=max_bytes)

    def list(self, folder: str) -> list[str]:
        """Files directly under a folder of the package, relative to the package."""
        base = self.prefix + safe_relpath(folder.rstrip("/") + "/", allow_dir=True)
        out = []
        for info in self.store.list(base, recursive=False):
            rest = info.key[len(base) :]
            if rest and "/" not in rest:
                out.append(info.key[len(self.prefix) :])
        return out
