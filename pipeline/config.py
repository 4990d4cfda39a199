"""Load settings: a TOML file in ``config/``, then ``INSPECTPIPE_*`` environment variables.

Nothing is read at import time. ``load_settings()`` is called once by the CLI or a worker and
the result is passed explicitly. Unknown keys and bad values raise :class:`ConfigError` naming
the key. The photo-type table and the reason labels are TOML files named by the settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
ENV_PREFIX = "INSPECTPIPE_"
# INSPECTPIPE_STATION_KEY is a station's upload key for `inspectpipe upload --server`.
_RESERVED_ENV = {"INSPECTPIPE_CONFIG", "INSPECTPIPE_HOME", "INSPECTPIPE_STATION_KEY"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    """Object store: ``local`` folder (embedded) or ``minio`` (any S3 endpoint)."""

    backend: Literal["local", "minio"] = "local"
    path: str = "{home}/store"
    endpoint: str = "127.0.0.1:9000"
    access_key: str = ""
    secret_key: str = Field(default="", repr=False)
    secure: bool = False
    region: str = "us-east-1"
    bucket: str = "inspections"
    object_lock: bool = False
    # Who publishes the object-created event for a new manifest: "upload" (the uploader, after
    # writing the manifest) or "store" (MinIO's bucket notification to RabbitMQ).
    events: Literal["upload", "store"] = "upload"


class BusSettings(_Section):
    """Message bus: ``inproc`` (embedded, one process) or ``rabbitmq``."""

    backend: Literal["inproc", "rabbitmq"] = "inproc"
    url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/%2F", repr=False)
    prefetch: int = Field(default=2, ge=1, le=1000)
    delivery_limit: int = Field(default=5, ge=1, le=100)
    heartbeat: int = Field(default=30, ge=0, le=600)
    retry_max_seconds: float = Field(default=30.0, gt=0)
    # Prefix ("<namespace>.") for every exchange and queue, so tests and parallel deployments
    # on one broker do not collide; callers keep using the logical names in bus/base.py.
    namespace: str = Field(default="", pattern=r"^[A-Za-z0-9_.\-]{0,64}$")


class DatabaseSettings(_Section):
    """Central database: SQLAlchemy URL (SQLite embedded, PostgreSQL in production)."""

    url: str = Field(default="sqlite:///{home}/inspectpipe.db", repr=False)
    echo: bool = False


class LimitSettings(_Section):
    """Limits on untrusted input."""

    max_manifest_bytes: int = Field(default=1_048_576, ge=1024)
    max_items: int = Field(default=500, ge=1)
    max_file_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_pixels: int = Field(default=40_000_000, ge=10_000)
    max_frames: int = Field(default=3000, ge=1)


class OcrSettings(_Section):
    """OCR engine (RapidOCR on onnxruntime)."""

    enabled: bool = True
    threads: int = Field(default=1, ge=1, le=64)
    # Run exactly folded copies of the PP-OCR models (pipeline.ocr_models): same outputs,
    # ~30-40 % less CPU. They are cached in ``model_cache`` ("" = $XDG_CACHE_HOME/inspectpipe).
    fold_models: bool = True
    model_cache: str = ""


class WorkerSettings(_Section):
    """Worker processes."""

    # OpenCV threads per worker process. Several workers share the machine's cores, so a
    # worker's own parallel loops only add synchronisation: on the bench packages, verifying
    # with 2 OpenCV threads cost 7 % more CPU than with 1 for no gain under load. 0 leaves
    # OpenCV's default (one thread per core), for a single worker on a machine of its own.
    image_threads: int = Field(default=1, ge=0, le=64)


class ConsoleSettings(_Section):
    """The reviewers' console and station API (FastAPI)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    secret: str = Field(default="", repr=False)
    session_minutes: int = Field(default=480, ge=1)
    lease_minutes: int = Field(default=15, ge=1)
    # The station upload API (``inspectpipe stations serve``) runs beside the console, on its
    # own port, so stations never reach the reviewers' pages.
    station_port: int = Field(default=8081, ge=1, le=65535)
    # Requests per minute per station (token bucket; per API process) and the burst allowed.
    station_rate_per_minute: float = Field(default=60.0, gt=0)
    station_burst: int = Field(default=20, ge=1)
    # Lifetime of presigned PUT URLs: short, since a URL can overwrite its object until then.
    upload_url_seconds: int = Field(default=900, ge=60, le=7 * 24 * 3600)
    # Largest request body the station API reads (manifest plus the declared file list).
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=4096)


class RetentionSettings(_Section):
    """Retention per inspection cycle."""

    grace_days: int = Field(default=90, ge=0)
    cycles: str = "cycles.toml"
    # Rows the sweeper claims per database round trip (each is deleted in its own transaction).
    sweep_batch: int = Field(default=100, ge=1, le=10_000)
    # Reconcile leaves manifests younger than this alone: their upload event is likely in flight.
    reconcile_min_age_seconds: float = Field(default=300.0, ge=0)


class Settings(_Section):
    """All settings. ``home`` is where embedded state lives."""

    home: str = "./.inspectpipe"
    timezone: str = "Asia/Shanghai"
    photo_types: str = "photo_types.toml"
    reasons: str = "reasons.toml"
    store: StoreSettings = StoreSettings()
    bus: BusSettings = BusSettings()
    database: DatabaseSettings = DatabaseSettings()
    limits: LimitSettings = LimitSettings()
    ocr: OcrSettings = OcrSettings()
    worker: WorkerSettings = WorkerSettings()
    console: ConsoleSettings = ConsoleSettings()
    retention: RetentionSettings = RetentionSettings()
    # Per-check parameters, validated by each check's own Params model.
    checks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Where the file came from, to resolve relative table paths.
    source: str = ""

    def home_path(self) -> Path:
        """The embedded-state folder, made absolute."""
        return Path(self.home).expanduser().resolve()

    def expand(self, value: str) -> str:
        """Replace ``{home}`` in a path or URL with the embedded-state folder."""
        return value.replace("{home}", str(self.home_path()))

    def table_path(self, name: str) -> Path:
        """Resolve a table file named in settings, relative to the config file's folder."""
        path = Path(name)
        if path.is_absolute():
            return path
        base = Path(self.source).parent if self.source else CONFIG_DIR
        candidate = base / path
        return candidate if candidate.exists() else CONFIG_DIR / path

    def digest(self) -> str:
        """A short hash of what changes check results: check params and the tables."""
        h = hashlib.sha256(json.dumps(self.checks, sort_keys=True, default=str).encode())
        for name in (self.photo_types, self.reasons):
            path = self.table_path(name)
            if path.exists():
                h.update(path.read_bytes())
        return h.hexdigest()[:8]


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Load settings from ``path`` (or ``INSPECTPIPE_CONFIG``, or the default) plus the env."""
    env = os.environ if env is None else env
    chosen = Path(path) if path else Path(env.get("INSPECTPIPE_CONFIG") or DEFAULT_CONFIG)
    try:
        with chosen.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {chosen} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {chosen} is not valid TOML: {exc}") from None
    _apply_env(doc, env)
    if env.get("INSPECTPIPE_HOME"):
        doc["home"] = env["INSPECTPIPE_HOME"]
    doc["source"] = str(chosen.resolve())
    return settings_from_dict(doc, where=str(chosen))


def settings_from_dict(doc: dict[str, Any], where: str = "config") -> Settings:
    """Validate a settings document; errors name the dotted key."""
    try:
        return Settings.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"{where}: unknown key {key!r}") from None
        raise ConfigError(f"{where}: bad value for {key!r}: {err['msg']}") from None


def _apply_env(doc: dict[str, Any], env: Mapping[str, str]) -> None:
    """Apply ``INSPECTPIPE_SECTION_KEY=value`` overrides; unknown variables are errors."""
    sections = {
        name: model
        for name, f in Settings.model_fields.items()
        if isinstance(model := f.annotation, type) and issubclass(model, _Section)
    }
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX) or var in _RESERVED_ENV:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        target = _match_env(rest, sections)
        if target is None:
            raise ConfigError(f"environment variable {var} names no config key")
        section, key = target
        parsed = _parse_env_value(value)
        if section is None:
            doc[key] = parsed
        else:
            doc.setdefault(section, {})[key] = parsed


def _match_env(rest: str, sections: dict[str, type[_Section]]) -> tuple[str | None, str] | None:
    for name, model in sections.items():
        prefix = name + "_"
        if rest.startswith(prefix) and rest[len(prefix) :] in model.model_fields:
            return name, rest[len(prefix) :]
    if rest in Settings.model_fields and rest not in sections and rest != "checks":
        return None, rest
    return None


def _parse_env_value(value: str) -> Any:
    """Environment values are TOML scalars when they parse as one, else plain strings."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value
