"""``inspectpipe verify PATH... [--json|--jsonl]``: verify package folders in-process."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import PipelineError
from pipeline.package import LocalPackage
from pipeline.records import Verdict
from pipeline.verify import verify_package


def register(sub: Any) -> None:
    """Add the ``verify`` command."""
    p: argparse.ArgumentParser = sub.add_parser(
        "verify", help="verify inspection package folders in-process (no services needed)"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="package folder with manifest.json")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the verdict JSON")
    fmt.add_argument("--jsonl", action="store_true", help="print one verdict JSON per line")
    p.add_argument(
        "--check", action="append", default=None, help="run only this check (repeatable)"
    )
    p.add_argument("--failures-only", action="store_true", help="omit passing findings")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, app: App) -> int:
    """Verify each path in order; a bad package is reported and the rest still run."""
    services = app.services
    bad = 0
    verdicts: list[dict[str, Any]] = []
    for path in args.paths:
        try:
            verdict = verify_package(LocalPackage(path), services, only=args.check)
        except PipelineError as exc:
            print(f"inspectpipe: {path}: {exc}", file=sys.stderr)
            bad += 1
            continue
        for f in verdict.findings:
            if f.check == "decode" and f.outcome == "fail":
                print(f"inspectpipe: {path}: {f.detail.get('error', f.reason)}", file=sys.stderr)
                bad += 1
        doc = verdict.to_json(include_passes=not args.failures_only)
        if args.jsonl:
            print(json.dumps(doc, ensure_ascii=False), flush=True)
        elif args.json:
            verdicts.append(doc)
        else:
            print_table(verdict, services.reasons, path)
    if args.json:
        out: Any = verdicts[0] if len(args.paths) == 1 and verdicts else verdicts
        print(json.dumps(out, ensure_ascii=False, indent=2))
    return 1 if bad else 0


def print_table(verdict: Verdict, reasons: dict[str, Any], path: str) -> None:
    """A readable summary: verdict, then each non-passing finding with its Chinese label."""
    mark = {"pass": "PASS", "fail": "FAIL", "review": "REVIEW"}[verdict.verdict]
    print(
        f"{mark:<7}{verdict.inspection_id}  station {verdict.station_id}  "
        f"attempt {verdict.attempt}  ({verdict.elapsed_ms:.0f} ms)  {path}"
    )
    for f in verdict.findings:
        if f.outcome == "pass":
            continue
        label = reasons[f.reason].zh if f.reason in reasons else ""
        where = f.file or f.code or "-"
        detail = json.dumps(dict(f.detail), ensure_ascii=False)
        if len(detail) > 100:
            detail = detail[:97] + "..."
        print(f"  {f.outcome:<7}{where:<16}{f.check:<22}{f.reason or '':<26}{label}  {detail}")
