"""Object stores: pick the backend named by ``store.backend``."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.storage.base import ObjectInfo, ObjectStore, Retention

__all__ = ["ObjectInfo", "ObjectStore", "Retention", "open_store"]


def open_store(settings: Settings) -> ObjectStore:
    """The object store the settings name; the MinIO SDK is imported only when chosen."""
    cfg = settings.store
    if cfg.backend == "local":
        from pipeline.storage.local import LocalStore

        return LocalStore(Path(settings.expand(cfg.path)) / cfg.bucket)
    if cfg.backend == "minio":
        try:
            from pipeline.storage.minio import MinioStore
        except ImportError as exc:
            if exc.name and exc.name.split(".")[0] in ("minio", "urllib3"):
                raise ConfigError(
                    "store.backend = 'minio' needs the minio package: pip install 'minio>=7.2'"
                ) from None
            raise
        return MinioStore(cfg)
    raise ConfigError(f"store.backend {cfg.backend!r} is not known")  # pragma: no cover
