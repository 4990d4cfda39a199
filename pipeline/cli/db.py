"""``inspectpipe db upgrade|current`` and ``inspectpipe registry import CSV``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipeline.cli.app import App
from pipeline.db import open_database
from pipeline.db.registry import import_registry_csv


def register(sub: Any) -> None:
    """Add the ``db`` and ``registry`` command groups."""
    db: argparse.ArgumentParser = sub.add_parser("db", help="central database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    up = db_sub.add_parser("upgrade", help="apply migrations (Alembic) up to the newest")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(func=run_upgrade)
    cur = db_sub.add_parser("current", help="print the schema revision of the database")
    cur.set_defaults(func=run_current)

    reg: argparse.ArgumentParser = sub.add_parser("registry", help="the office's vehicle registry")
    reg_sub = reg.add_subparsers(dest="registry_command", metavar="ACTION")
    reg_sub.required = True
    imp = reg_sub.add_parser(
        "import",
        help="import vehicles from CSV (vin,plate,plate_type,vehicle_type,use,registered_on)",
    )
    imp.add_argument("csv", metavar="CSV", help="the CSV file (UTF-8 or GB18030)")
    imp.add_argument("--strict", action="store_true", help="import nothing when any row is bad")
    imp.set_defaults(func=run_import)


def run_upgrade(args: argparse.Namespace, app: App) -> int:
    """Migrate the configured database and print where it ended."""
    with open_database(app.settings, upgrade=False) as db:
        before = db.current_revision()
        db.upgrade(args.revision)
        after = db.current_revision()
        print(f"{db.url}: {before or 'empty'} -> {after or 'empty'}")
    return 0


def run_current(args: argparse.Namespace, app: App) -> int:
    """Print the database's revision and whether it is the newest; 1 when it is behind."""
    with open_database(app.settings, upgrade=False) as db:
        current, head = db.current_revision(), db.head_revision()
        state = "(head)" if current == head else f"(behind; head is {head})"
        print(f"{db.url}: {current or 'empty'} {state}")
    return 0 if current == head else 1


def run_import(args: argparse.Namespace, app: App) -> int:
    """Import the registry CSV; report bad rows by line; 1 when any row was bad."""
    with open_database(app.settings) as db:
        report = import_registry_csv(db, args.csv, strict=args.strict)
    for err in report.errors:
        print(f"inspectpipe: {args.csv}: {err}", file=sys.stderr)
    skipped = "nothing imported (--strict)" if args.strict and report.errors else ""
    print(
        f"imported {report.imported} vehicle(s), {len(report.errors)} bad row(s) {skipped}".rstrip()
    )
    return 1 if report.errors else 0
