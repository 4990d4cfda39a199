"""The inspection-cycle table (检验周期) and the due dates it gives.

The rules live in ``config/cycles.toml`` (its header explains how it is read); this module only
loads and applies them. Due dates are counted in whole months from the registration date, never
added up one after another, so a 31 January or 29 February registration does not drift: a day
the month lacks becomes that month's last day.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.errors import ConfigError, UsageError

MAX_AGE_YEARS = 120  # no schedule is walked further than this


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Strict):
    """One stage of a cycle: a due date every ``every_months`` until ``until_years``."""

    until_years: int | None = Field(default=None, ge=1, le=MAX_AGE_YEARS)
    every_months: int = Field(ge=1, le=120)
    line_at_years: tuple[int, ...] | None = None


class Cycle(_Strict):
    """A named cycle: a label for people and its stages in age order."""

    label: str
    stages: tuple[Stage, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _stages_in_order(self) -> Cycle:
        start = 0
        for i, stage in enumerate(self.stages):
            last = i == len(self.stages) - 1
            if (stage.until_years is None) != last:
                raise ValueError("only the last stage has no until_years")
            if stage.until_years is not None:
                end = stage.until_years * 12
                if end <= start or (end - start) % stage.every_months:
                    raise ValueError(
                        f"stage until {stage.until_years} years is not after the previous "
                        f"one or not a whole number of {stage.every_months}-month steps"
                    )
                start = end
        return self


class Rule(_Strict):
    """Which cycle applies to which vehicle and use classes (absent list: any)."""

    cycle: str
    vehicles: tuple[str, ...] | None = None
    uses: tuple[str, ...] | None = None


class CycleTable(_Strict):
    """The whole ``cycles.toml``."""

    early_window_months: int = Field(default=3, ge=0, le=24)
    fallback_months: int = Field(default=12, ge=1, le=120)
    default_cycle: str
    vehicle_classes: dict[str, str]
    use_classes: dict[str, str]
    rules: tuple[Rule, ...]
    cycles: dict[str, Cycle]

    @model_validator(mode="after")
    def _names_known(self) -> CycleTable:
        for name in [self.default_cycle, *(r.cycle for r in self.rules)]:
            if name not in self.cycles:
                raise ValueError(f"cycle {name!r} is not defined under [cycles]")
        return self

    def vehicle_class(self, vehicle_type: str) -> str:
        """The class of a 车辆类型 code by its longest matching prefix ("other" if none)."""
        code = vehicle_type.strip().upper()
        for n in range(len(code), 0, -1):
            found = self.vehicle_classes.get(code[:n])
            if found is not None:
                return found
        return "other"

    def use_class(self, use: str) -> str:
        """The class of a 使用性质 code ("other" if unknown)."""
        return self.use_classes.get(use.strip().upper(), "other")

    def cycle_for(self, vehicle_type: str, use: str) -> tuple[str, Cycle]:
        """The cycle name and definition for a vehicle type and use."""
        vclass, uclass = self.vehicle_class(vehicle_type), self.use_class(use)
        for rule in self.rules:
            if (rule.vehicles is None or vclass in rule.vehicles) and (
                rule.uses is None or uclass in rule.uses
            ):
                return rule.cycle, self.cycles[rule.cycle]
        return self.default_cycle, self.cycles[self.default_cycle]


@dataclass(frozen=True)
class Due:
    """One due date of a schedule."""

    on: date
    months: int  # age in months at the due date
    every_months: int  # the interval of the stage it belongs to
    line: bool  # False: 免检, the owner only applies for the label


def load_cycle_table(path: Path) -> CycleTable:
    """Read and validate a cycle table; ConfigError names the file and the key."""
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"cycle table {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cycle table {path} is not valid TOML: {exc}") from None
    try:
        return CycleTable.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"cycle table {path}: {where or 'table'}: {err['msg']}") from None


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months; a missing day becomes the month's last day."""
    total = start.year * 12 + (start.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise UsageError(f"date {start} plus {months} months is out of range")
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def schedule(cycle: Cycle, registered: date) -> Iterator[Due]:
    """Every due date of a vehicle registered on ``registered``, in order."""
    start = 0
    for stage in cycle.stages:
        end = stage.until_years * 12 if stage.until_years is not None else MAX_AGE_YEARS * 12
        months = start + stage.every_months
        while months <= end:
            line = stage.line_at_years is None or (
                months % 12 == 0 and months // 12 in stage.line_at_years
            )
            yield Due(add_months(registered, months), months, stage.every_months, line)
            months += stage.every_months
        start = end


def next_due(
    table: CycleTable, cycle: Cycle, registered: date, inspected: date
) -> tuple[Due | None, Due | None]:
    """``(next line inspection, next due date of any kind)`` after an inspection.

    A due date whose early window had opened by the inspection date was met by it; the
    next line inspection is None only past ``MAX_AGE_YEARS``.
    """
    window = table.early_window_months
    any_due: Due | None = None
    for due in schedule(cycle, registered):
        if inspected >= add_months(due.on, -window):
            continue
        if any_due is None:
            any_due = due
        if due.line:
            return due, any_due
    return None, any_due
