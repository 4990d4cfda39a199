"""``inspectpipe reference enroll VIN IMAGE`` and ``inspectpipe reference import FOLDER``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import EvidenceError, UsageError
from pipeline.vin import rules
from pipeline.vin.references import folder_items


def register(sub: Any) -> None:
    """Add ``reference enroll`` and ``reference import``."""
    p: argparse.ArgumentParser = sub.add_parser("reference", help="reference VIN rubbings")
    rsub = p.add_subparsers(dest="reference_command", metavar="COMMAND")
    rsub.required = True
    e = rsub.add_parser("enroll", help="enrol one rubbing as a VIN's reference")
    e.add_argument("vin")
    e.add_argument("image")
    e.add_argument("--by", default="cli", help="who enrols it (audit)")
    e.add_argument(
        "--source", default="registration", help="registration | import | inspection:<id>"
    )
    e.set_defaults(func=run_enroll)
    i = rsub.add_parser("import", help="enrol every <VIN>.jpg of a folder")
    i.add_argument("folder")
    i.add_argument("--by", default="cli", help="who imports them (audit)")
    i.set_defaults(func=run_import)


def run_enroll(args: argparse.Namespace, app: App) -> int:
    """Enrol one image."""
    path = Path(args.image)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    ref = app.services.references.enroll(
        args.vin,
        path.read_bytes(),
        source=args.source,
        enrolled_by=args.by,
        reader=app.services.ocr_if_enabled,
    )
    print(f"enrolled {ref.vin} -> {ref.key}")
    return 0


def run_import(args: argparse.Namespace, app: App) -> int:
    """Enrol each ``<VIN>.jpg``; bad files are reported and skipped (exit 1 if any)."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    refs = app.services.references
    reader = app.services.ocr_if_enabled
    done = bad = 0
    for vin, path in folder_items(folder):
        if not rules.is_wellformed(vin):
            print(f"inspectpipe: {path.name}: file name is not a VIN", file=sys.stderr)
            bad += 1
            continue
        try:
            refs.enroll(vin, path.read_bytes(), source="import", enrolled_by=args.by, reader=reader)
            done += 1
        except EvidenceError as exc:
            print(f"inspectpipe: {path.name}: {exc}", file=sys.stderr)
            bad += 1
    print(f"imported {done}, skipped {bad}")
    return 1 if bad else 0
