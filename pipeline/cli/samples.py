"""``inspectpipe samples generate OUT``: synthetic inspection packages with their truth."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import UsageError

GENERATED_FILES = ("truth.json", "registry.csv", "generator.json")


def register(sub: Any) -> None:
    """Add the ``samples`` command group."""
    p: argparse.ArgumentParser = sub.add_parser(
        "samples", help="generate synthetic inspection packages with expected outcomes"
    )
    group = p.add_subparsers(dest="samples_command", metavar="SUBCOMMAND")
    group.required = True
    g = group.add_parser("generate", help="write packages, truth.json, references, registry.csv")
    g.add_argument("out", metavar="OUT", help="folder to write (created if absent)")
    g.add_argument(
        "--count",
        type=int,
        default=None,
        help="number of packages (default: one clean, one per defect, one clean)",
    )
    g.add_argument("--seed", type=int, default=20261123, help="random seed (same seed, same set)")
    g.add_argument(
        "--defects",
        default="all",
        help="all, none, or a comma list of defect names (a+b: both in one package)",
    )
    g.add_argument(
        "--profile",
        choices=("full", "compact"),
        default="full",
        help="compact: 1280x720, low JPEG quality, 8 small frames (for committing)",
    )
    g.add_argument(
        "--force",
        action="store_true",
        help="replace a set generated earlier in OUT (only what the generator wrote)",
    )
    g.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace, app: App) -> int:
    """Generate the set and print one line per package."""
    from pipeline.samplegen.generate import generate_set, parse_defects

    try:
        defects = parse_defects(args.defects)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    count = args.count if args.count is not None else len(defects) + 2
    if count < 1:
        raise UsageError("--count must be at least 1")
    out = Path(args.out)
    _clear(out, args.force)
    summary = generate_set(
        out,
        count=count,
        seed=args.seed,
        defects=defects,
        profile=args.profile,
        table=app.services.photo_types,
    )
    for folder, t in summary.truth.items():
        reasons = ",".join(t["reasons"]) or "-"
        v = t["vehicle"]
        print(f"{t['verdict']:<7}{folder:<44}{v['plate']:<10}{v['vehicle_type']:<5}{reasons}")
    print(
        f"{len(summary.truth)} packages, {len(set(summary.references))} reference rubbings, "
        f"{summary.total_bytes / 1e6:.1f} MB in {out}"
    )
    return 0


def _clear(out: Path, force: bool) -> None:
    """Refuse to mix sets; with --force remove only the previous set's own files."""
    if not out.exists() or not any(out.iterdir()):
        return
    truth = out / "truth.json"
    if not force or not truth.is_file():
        raise UsageError(f"{out} is not empty; pass --force to replace a generated set there")
    for folder in json.loads(truth.read_text(encoding="utf-8")):
        target = out / folder
        if target.is_dir() and (target / "manifest.json").is_file():
            shutil.rmtree(target)
    if (out / "references").is_dir():
        shutil.rmtree(out / "references")
    for name in GENERATED_FILES:
        (out / name).unlink(missing_ok=True)
