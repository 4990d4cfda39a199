"""``inspectpipe retention explain|sweep|hold|release|holds``."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import UsageError


def register(sub: Any) -> None:
    """Add the ``retention`` command group."""
    ret: argparse.ArgumentParser = sub.add_parser(
        "retention", help="inspection-cycle retention: explain, sweep, legal holds"
    )
    rsub = ret.add_subparsers(dest="retention_command", metavar="ACTION")
    rsub.required = True

    ex = rsub.add_parser("explain", help="the cycle, next due date and retain-until of a vehicle")
    ex.add_argument("--vehicle-type", required=True, help="车辆类型 code, e.g. K33")
    ex.add_argument("--use", required=True, help="使用性质 code, e.g. A")
    ex.add_argument("--registered", type=_date, default=None, help="registration date YYYY-MM-DD")
    ex.add_argument("--inspected", type=_date, required=True, help="inspection date YYYY-MM-DD")
    ex.add_argument("--json", action="store_true", help="print JSON")
    ex.set_defaults(func=run_explain)

    sw = rsub.add_parser("sweep", help="delete what is past retain-until and not held")
    sw.add_argument("--dry-run", action="store_true", help="list what would go; delete nothing")
    sw.add_argument("--json", action="store_true", help="print the report as JSON")
    sw.set_defaults(func=run_sweep)

    for name, helptext in (("hold", "set a legal hold"), ("release", "release a legal hold")):
        p = rsub.add_parser(name, help=f"{helptext} (supervisor; audited)")
        p.add_argument("inspection_id", metavar="INSPECTION_ID")
        p.add_argument("--attempt", type=int, default=None, help="one attempt (default: all)")
        p.add_argument("--reason", required=True, help="why (recorded in the audit log)")
        p.add_argument("--by", required=True, metavar="USER", help="the supervisor's account")
        p.set_defaults(func=run_hold, hold_on=(name == "hold"))

    ls = rsub.add_parser("holds", help="list held inspections")
    ls.add_argument("--json", action="store_true", help="print JSON lines")
    ls.set_defaults(func=run_holds)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def run_explain(args: argparse.Namespace, app: App) -> int:
    """Print why an inspection's evidence is kept until when."""
    from pipeline.retention.policy import cycle_table, explain

    settings = app.settings
    result = explain(
        cycle_table(settings),
        args.vehicle_type,
        args.use,
        args.registered,
        args.inspected,
        settings.retention.grace_days,
    )
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print("\n".join(result.lines()))
    return 0


def run_sweep(args: argparse.Namespace, app: App) -> int:
    """Run the sweeper once and print what it did."""
    from pipeline.retention.sweep import sweep

    services = app.services
    report = sweep(services, dry_run=args.dry_run, batch=services.settings.retention.sweep_batch)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    if args.dry_run:
        for key in report.keys:
            print(key)
        print(
            f"dry run ({report.today}): {report.expired} attempt(s) past retention, "
            f"{len(report.keys)} object(s) would be deleted, {report.held} held"
        )
        return 0
    print(
        f"sweep ({report.today}): {report.deleted} attempt(s) deleted, {report.objects} "
        f"object(s), {report.deferred} left to the lifecycle rule, {report.held} held, "
        f"{report.skipped} taken by another sweeper"
    )
    return 0


def run_hold(args: argparse.Namespace, app: App) -> int:
    """Set or release a legal hold."""
    from pipeline.retention.hold import release_hold, set_hold

    change = set_hold if args.hold_on else release_hold
    if args.attempt is not None and args.attempt < 1:
        raise UsageError("--attempt must be 1 or more")
    services = app.services
    states = change(
        services.database,
        services.store,
        args.inspection_id,
        reason=args.reason,
        actor=args.by,
        now=services.clock(),
        attempt=args.attempt,
    )
    for s in states:
        state = f"held ({s.reason})" if s.held else "not held"
        until = s.retain_until.isoformat() if s.retain_until else "undated"
        print(f"{s.inspection_id} attempt {s.attempt}: {state}; retain until {until}")
    return 0


def run_holds(args: argparse.Namespace, app: App) -> int:
    """List held attempts."""
    from pipeline.retention.hold import holds

    for s in holds(app.services.database):
        if args.json:
            print(json.dumps(s.to_json(), ensure_ascii=False))
        else:
            until = s.retain_until.isoformat() if s.retain_until else "undated"
            print(f"{s.station_id}  {s.inspection_id}/{s.attempt}  until {until}  {s.reason}")
    return 0
