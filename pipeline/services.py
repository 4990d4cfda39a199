"""The one place where settings become services: tables, checks, OCR, store, bus, database.

Everything is built lazily, so ``inspectpipe verify`` pays only for what its checks use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.checks import load_all
from pipeline.checks.base import Check
from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.records import Vehicle
from pipeline.tables import PhotoTypeTable, Reason, load_photo_types, load_reasons

if TYPE_CHECKING:
    from pipeline.bus.base import MessageBus
    from pipeline.db import Database
    from pipeline.hashbank import HashBank
    from pipeline.ocr import OcrEngine
    from pipeline.storage.base import ObjectStore
    from pipeline.vin.references import ReferenceStore

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


class Services:
    """Shared services for checks, workers and commands, built from settings on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        ocr: OcrEngine | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._ocr = ocr
        self._overrides = overrides or {}

    @cached_property
    def photo_types(self) -> PhotoTypeTable:
        """The 照片种类 table."""
        return load_photo_types(self.settings.table_path(self.settings.photo_types))

    @cached_property
    def reasons(self) -> dict[str, Reason]:
        """Reason codes with labels."""
        return load_reasons(self.settings.table_path(self.settings.reasons))

    @cached_property
    def checks(self) -> dict[str, Check]:
        """Every check named in the table, instantiated with its validated params."""
        return {name: by_code[""] for name, by_code in self._check_instances.items()}

    def check_for(self, name: str, code: str) -> Check:
        """The check ``name`` as configured for photo-type ``code``: its
        ``[checks.<name>.codes."<code>"]`` overrides when the config has them."""
        by_code = self._check_instances[name]
        return by_code.get(code) or by_code[""]

    @cached_property
    def _check_instances(self) -> dict[str, dict[str, Check]]:
        """Per check: "" → the default instance, and one instance per code with overrides."""
        available = load_all()
        for name in self.settings.checks:
            if name not in available:
                raise ConfigError(f"config: [checks.{name}] names no known check")
        out: dict[str, dict[str, Check]] = {}
        for name in sorted(self.photo_types.all_check_names()):
            cls = available.get(name)
            if cls is None:
                raise ConfigError(f"photo-type table names unknown check {name!r}")
            base = dict(self.settings.checks.get(name, {}))
            overrides = base.pop("codes", {})
            if not isinstance(overrides, dict):
                raise ConfigError(f'config: [checks.{name}.codes] must be tables like ."0113"')
            out[name] = {"": self._instantiate(cls, name, base)}
            for code, extra in overrides.items():
                if code not in self.photo_types.codes:
                    raise ConfigError(
                        f"config: [checks.{name}.codes.{code!r}] names no photo-type code"
                    )
                if not isinstance(extra, dict):
                    raise ConfigError(f"config: [checks.{name}.codes.{code!r}] must be a table")
                out[name][code] = self._instantiate(cls, f"{name}.codes.{code}", base | extra)
        return out

    @staticmethod
    def _instantiate(cls: type[Check], where: str, values: dict[str, Any]) -> Check:
        try:
            params = cls.params_model.model_validate(values)
        except Exception as exc:
            raise ConfigError(f"config: bad [checks.{where}]: {exc}") from None
        return cls(params)

    @property
    def ocr(self) -> OcrEngine:
        """The shared OCR engine (RapidOCR), loaded on first use."""
        if self._ocr is None:
            from pipeline.ocr import RapidOcrEngine

            ocr = self.settings.ocr
            cache = Path(self.settings.expand(ocr.model_cache)) if ocr.model_cache else None
            self._ocr = RapidOcrEngine(
                threads=ocr.threads, fold_models=ocr.fold_models, cache_dir=cache
            )
        return self._ocr

    @property
    def ocr_if_enabled(self) -> OcrEngine | None:
        """The OCR engine, or None when ``[ocr] enabled`` is off (for work that can do
        without it, such as reading a reference's band at enrolment)."""
        return self.ocr if self.settings.ocr.enabled else None

    def warm_up(self) -> None:
        """Load what the first message would otherwise wait for: the check table and the OCR
        models (with one tiny inference, which allocates onnxruntime's buffers). Workers call
        this before they take messages; services that may be down (store, database) stay
        lazy, so their outages are retried by the message handler. It also sets OpenCV's
        thread count for the process (``[worker] image_threads``)."""
        import cv2
        import numpy as np

        if self.settings.worker.image_threads:
            cv2.setNumThreads(self.settings.worker.image_threads)
        _ = self.checks
        self.ocr.read_line(np.full((48, 160, 3), 255, np.uint8))

    @cached_property
    def store(self) -> ObjectStore:
        """The object store (local folder or MinIO)."""
        if "store" in self._overrides:
            injected: ObjectStore = self._overrides["store"]
            return injected
        from pipeline.storage import open_store

        return open_store(self.settings)

    @cached_property
    def bus(self) -> MessageBus:
        """The message bus (in-process or RabbitMQ), topology declared."""
        if "bus" in self._overrides:
            injected: MessageBus = self._overrides["bus"]
            return injected
        from pipeline.bus import open_bus

        bus = open_bus(self.settings)
        bus.declare()
        return bus

    @cached_property
    def database(self) -> Database:
        """The central database (SQLite or PostgreSQL), migrated to the latest revision."""
        if "database" in self._overrides:
            injected: Database = self._overrides["database"]
            return injected
        from pipeline.db import open_database

        return open_database(self.settings)

    @cached_property
    def hash_bank(self) -> HashBank:
        """The photo-hash bank in the central database (``photo_reuse``, frame checks)."""
        injected = self._overrides.get("hash_bank")
        if injected is not None:
            bank: HashBank = injected
            return bank
        from pipeline.hashbank import HashBank

        return HashBank(self.database.engine)

    @cached_property
    def references(self) -> ReferenceStore:
        """Reference rubbings per VIN (object store + ``reference_rubbings`` table)."""
        injected = self._overrides.get("references")
        if injected is not None:
            refs: ReferenceStore = injected
            return refs
        from pipeline.vin.references import ReferenceStore

        return ReferenceStore(self.store, self.database)

    def lookup_vehicle(self, vin: str, plate: str) -> Vehicle | None:
        """The office registry record for a vehicle (by VIN, else by plate), or None."""
        lookup = self._overrides.get("registry")
        if lookup is not None:
            result: Vehicle | None = lookup(vin, plate)
            return result
        from pipeline.db.registry import lookup_vehicle

        return lookup_vehicle(self.database, vin, plate)

    def close(self) -> None:
        """Close whatever connections were opened."""
        for name in ("bus", "database"):
            svc = self.__dict__.get(name)
            if svc is not None:
                try:
                    svc.close()
                except Exception:  # closing is best effort at shutdown
                    log.debug("closing %s failed", name, exc_info=True)

    def get(self, name: str) -> Any:
        """An optional service injected by name (hash bank, references...), or None."""
        return self._overrides.get(name)
