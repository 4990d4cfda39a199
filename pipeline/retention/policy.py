"""Retain-until dates: the next inspection due date plus the grace period.

:func:`explain` is the whole computation for one vehicle and inspection date (what
``inspectpipe retention explain`` prints); :func:`retain_until_for` applies it to a manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.config import Settings
from pipeline.records import Manifest, Vehicle
from pipeline.retention.cycles import (
    Cycle,
    CycleTable,
    add_months,
    load_cycle_table,
    next_due,
    schedule,
)


@dataclass(frozen=True)
class Explanation:
    """Why an inspection's evidence is kept until when."""

    vehicle_type: str
    use: str
    registered_on: date | None
    inspected_on: date
    vehicle_class: str
    use_class: str
    cycle: str
    cycle_label: str
    interval_months: int  # the interval between due dates after the next one
    next_due: date
    next_due_age_months: int | None  # None when the registration date is unknown
    next_label_only: date | None  # a 免检 due date before the next line inspection
    grace_days: int
    retain_until: date

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings)."""
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = value.isoformat() if isinstance(value, date) else value
        return out

    def lines(self) -> list[str]:
        """Human-readable lines for the CLI."""
        reg = self.registered_on.isoformat() if self.registered_on else "unknown"
        age = (
            f" (age {self.next_due_age_months / 12:g} years)"
            if self.next_due_age_months is not None
            else " (registration date unknown: inspection date + fallback)"
        )
        out = [
            f"vehicle:      {self.vehicle_type} ({self.vehicle_class}), use {self.use} "
            f"({self.use_class}), registered {reg}",
            f"cycle:        {self.cycle}: {self.cycle_label}",
            f"inspected:    {self.inspected_on.isoformat()}",
            f"next due:     {self.next_due.isoformat()}{age}, "
            f"then {self.interval_months} months to the next",
        ]
        if self.next_label_only is not None:
            out.append(
                f"label only:   {self.next_label_only.isoformat()} (免检: no line inspection)"
            )
        out.append(
            f"retain until: {self.retain_until.isoformat()} (next due + {self.grace_days} days)"
        )
        return out


@lru_cache(maxsize=8)
def _cached_table(path: str, mtime_ns: int) -> CycleTable:
    return load_cycle_table(Path(path))


def cycle_table(settings: Settings) -> CycleTable:
    """The cycle table named by ``retention.cycles`` (re-read when the file changes)."""
    path = settings.table_path(settings.retention.cycles)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0  # load_cycle_table reports the missing file
    return _cached_table(str(path), mtime)


def explain(
    table: CycleTable,
    vehicle_type: str,
    use: str,
    registered: date | None,
    inspected: date,
    grace_days: int,
) -> Explanation:
    """The cycle, next due date and retain-until date of one inspection."""
    name, cycle = table.cycle_for(vehicle_type, use)
    label_only: date | None = None
    if registered is None:
        due_on = add_months(inspected, table.fallback_months)
        age: int | None = None
        interval = table.fallback_months
    else:
        line, first = next_due(table, cycle, registered, inspected)
        if line is None:  # past the end of every schedule: fall back
            due_on, age, interval = add_months(inspected, table.fallback_months), None, 12
        else:
            due_on, age = line.on, line.months
            interval = _interval_after(cycle, registered, line.months)
            if first is not None and first.on < line.on:
                label_only = first.on
    return Explanation(
        vehicle_type=vehicle_type,
        use=use,
        registered_on=registered,
        inspected_on=inspected,
        vehicle_class=table.vehicle_class(vehicle_type),
        use_class=table.use_class(use),
        cycle=name,
        cycle_label=cycle.label,
        interval_months=interval,
        next_due=due_on,
        next_due_age_months=age,
        next_label_only=label_only,
        grace_days=grace_days,
        retain_until=due_on + timedelta(days=grace_days),
    )


def _interval_after(cycle: Cycle, registered: date, months: int) -> int:
    """Months from the due date at ``months`` of age to the next line inspection."""
    for due in schedule(cycle, registered):
        if due.months > months and due.line:
            return due.months - months
    return 12


def local_date(settings: Settings, moment: datetime) -> date:
    """The calendar date of an aware moment in the office's timezone."""
    return moment.astimezone(ZoneInfo(settings.timezone)).date()


def retain_until_for(
    settings: Settings, manifest: Manifest, vehicle: Vehicle | None = None
) -> date:
    """The retain-until date of an inspection (registry record preferred over the manifest)."""
    v = vehicle or manifest.vehicle
    return explain(
        cycle_table(settings),
        v.vehicle_type,
        v.use,
        v.registered_on or manifest.vehicle.registered_on,
        local_date(settings, manifest.started_at),
        settings.retention.grace_days,
    ).retain_until


def lock_until(settings: Settings, retain_until: date) -> datetime:
    """The object-lock moment for a retain-until date: the start of the next local day."""
    tz = ZoneInfo(settings.timezone)
    return datetime.combine(retain_until + timedelta(days=1), time(0), tzinfo=tz)
