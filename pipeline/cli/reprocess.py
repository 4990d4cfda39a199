"""``inspectpipe reprocess`` and ``inspectpipe reconcile``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import UsageError


def register(sub: Any) -> None:
    """Add ``reprocess`` and ``reconcile``."""
    rp: argparse.ArgumentParser = sub.add_parser(
        "reprocess", help="re-enqueue stored inspections (progress bar, rate limit, resumable)"
    )
    rp.add_argument("--station", help="检验机构编号")
    rp.add_argument("--since", type=_date, help="inspection date from (YYYY-MM-DD, inclusive)")
    rp.add_argument("--until", type=_date, help="inspection date to (YYYY-MM-DD, inclusive)")
    rp.add_argument("--verdict", choices=["pass", "fail", "review"], help="latest verdict")
    rp.add_argument("--reason", help="a reason code in the latest result, e.g. plate_mismatch")
    rp.add_argument("--check", help="a check with a finding in the latest result")
    rp.add_argument("--rate", type=_rate, default=None, metavar="N/s", help="messages a second")
    rp.add_argument("--resume", action="store_true", help="continue the same selection's run")
    rp.add_argument("--json", action="store_true", help="print the counts as JSON")
    rp.set_defaults(func=run_reprocess)

    rc: argparse.ArgumentParser = sub.add_parser(
        "reconcile", help="enqueue manifests that have no result for the current version"
    )
    rc.add_argument("--dry-run", action="store_true", help="report; enqueue nothing")
    rc.add_argument(
        "--min-age",
        type=float,
        default=None,
        metavar="SECONDS",
        help="skip manifests younger than this (default: retention.reconcile_min_age_seconds)",
    )
    rc.add_argument("--json", action="store_true", help="print the report as JSON")
    rc.set_defaults(func=run_reconcile)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def _rate(value: str) -> float:
    text = value.removesuffix("/s")
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--rate {value!r} is not a number (e.g. 20/s)") from None
    if rate <= 0:
        raise argparse.ArgumentTypeError("--rate must be positive")
    return rate


def run_reprocess(args: argparse.Namespace, app: App) -> int:
    """Re-enqueue the selection; print the counts; an interrupted run says how to resume."""
    from pipeline.reprocess import Selection, reprocess

    selection = Selection(
        station=args.station,
        since=args.since,
        until=args.until,
        verdict=args.verdict,
        reason=args.reason,
        check=args.check,
    )
    try:
        cursor = reprocess(app.services, selection, rate=args.rate, resume=args.resume)
    except KeyboardInterrupt:
        print("inspectpipe: reprocess interrupted; run it again with --resume", file=sys.stderr)
        return 130
    c = cursor.counts
    if args.json:
        doc = {"version": cursor.version, "selection": cursor.selection, **c.__dict__}
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(
            f"reprocess to {cursor.version}: {c.selected} selected, {c.enqueued} enqueued, "
            f"{c.current} already current, {c.missing} missing from the store"
        )
    return 0


def run_reconcile(args: argparse.Namespace, app: App) -> int:
    """One reconcile pass."""
    from pipeline.reconcile import reconcile

    if args.min_age is not None and args.min_age < 0:
        raise UsageError("--min-age must not be negative")
    report = reconcile(app.services, dry_run=args.dry_run, min_age_seconds=args.min_age)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    for key in report.keys:
        print(key)
    verb = "would enqueue" if args.dry_run else "enqueued"
    print(
        f"reconcile ({report.pipeline_version}): {report.manifests} manifest(s), "
        f"{report.with_result} with a result, {report.enqueued} {verb}, "
        f"{report.too_young} too young, {report.stored_only} rejected (result stored only)"
    )
    return 0
