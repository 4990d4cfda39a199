"""The check plug-in interface, its registry, and the context a check runs in.

A check is a class registered by name with :func:`register`. It declares which item kinds
it handles and a ``params_model`` (a pydantic :class:`Params` subclass) for its
``[checks.<name>]`` config table (unknown keys are errors). Item checks implement
:meth:`Check.check_item`; inspection checks implement :meth:`Check.check_inspection`.
A check does no I/O of its own: pixels, the manifest, the registry record and shared
services come from the :class:`CheckContext`. A check that cannot decide returns
``review``, never ``pass``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from pipeline.records import Finding, Manifest, Outcome, Vehicle

if TYPE_CHECKING:
    from pipeline.package import LoadedItem, LoadedPackage
    from pipeline.services import Services
    from pipeline.tables import PhotoTypeTable


class Params(BaseModel):
    """Base for a check's parameters; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Result:
    """What a check returns for one item; the runner adds file, code, check name and timing."""

    outcome: Outcome
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    # Inspection checks may attribute a result to a file/code of the package.
    file: str | None = None
    code: str | None = None


def passed(**detail: Any) -> Result:
    """A pass with optional detail."""
    return Result("pass", None, detail)


def failed(reason: str, **detail: Any) -> Result:
    """A fail with its reason code."""
    return Result("fail", reason, detail)


def review(reason: str, **detail: Any) -> Result:
    """A 'cannot decide, a person must look' result with its reason code."""
    return Result("review", reason, detail)


@dataclass
class CheckContext:
    """Everything a check may look at for one inspection."""

    package: LoadedPackage
    vehicle: Vehicle  # the truth: the registry record when there is one, else the manifest's
    registry: Vehicle | None
    services: Services
    tz: tzinfo
    cache: dict[str, Any] = field(default_factory=dict)  # shared between checks of one run

    @property
    def manifest(self) -> Manifest:
        """The package manifest."""
        return self.package.manifest

    @property
    def photo_types(self) -> PhotoTypeTable:
        """The photo-type table."""
        return self.services.photo_types

    @property
    def inspection_date(self) -> date:
        """The local date of the inspection (by its start time, in the office's time zone)."""
        return self.manifest.started_at.astimezone(self.tz).date()

    def local(self, moment: datetime) -> datetime:
        """A moment in the office's time zone."""
        return moment.astimezone(self.tz)


class Check:
    """Base class of every check."""

    name: ClassVar[str] = ""
    scope: ClassVar[Literal["item", "inspection"]] = "item"
    kinds: ClassVar[frozenset[str]] = frozenset({"photo"})
    params_model: ClassVar[type[Params]] = Params

    def __init__(self, params: Params) -> None:
        # Subclasses re-annotate ``params`` with their own model for typed access.
        self.params = params

    def applies_to(self, item: LoadedItem) -> bool:
        """Whether this check runs on an item (by kind); decode errors skip it."""
        return item.item.kind in self.kinds and item.ok

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result | Sequence[Result]:
        """Check one item; return one result or several."""
        raise NotImplementedError(f"check {self.name} does not check items")

    def check_inspection(self, ctx: CheckContext) -> Sequence[Result]:
        """Check the whole inspection."""
        raise NotImplementedError(f"check {self.name} does not check inspections")


_REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: register a check under its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"check name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def registered() -> dict[str, type[Check]]:
    """All registered checks by name (after importing the checks package)."""
    return dict(_REGISTRY)


def finding(check: str, result: Result, item: LoadedItem | None, elapsed_ms: float) -> Finding:
    """Turn a check's result into a finding."""
    file = result.file if result.file is not None else (item.item.file if item else None)
    code = result.code if result.code is not None else (item.item.code if item else None)
    return Finding(
        file=file,
        code=code,
        check=check,
        outcome=result.outcome,
        reason=result.reason,
        detail=dict(result.detail),
        elapsed_ms=elapsed_ms,
        artifacts=dict(result.artifacts),
    )
