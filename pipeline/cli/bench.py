"""``inspectpipe bench NAME``: benchmarks that print figures against a same-run baseline.

Each benchmark is a module in ``pipeline/bench/`` with ``add_arguments(parser)`` and
``run(args, app) -> int``; list it in :data:`BENCHES`.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from pipeline.cli.app import App

BENCHES: dict[str, tuple[str, str]] = {
    "checks": ("pipeline.bench.checks", "photo-check cost vs JPEG decode; hash-bank lookups"),
    "rubbing": ("pipeline.bench.rubbing", "rubbing comparison accuracy per tamper kind and speed"),
    "frames": ("pipeline.bench.frames", "frame-sequence checks: frames/s checked vs decoded"),
    "ocr": ("pipeline.bench.ocr", "the wheel's PP-OCR graphs vs their folded copies"),
    "pipeline": (
        "pipeline.bench.pipeline",
        "end-to-end load: photos/s, upload-to-verdict latency, CPU vs decode, RSS per worker",
    ),
    # name: (module, help)
    "console": (
        "pipeline.bench.console",
        "console page response times with 100,000 review items",
    ),
}


def register(sub: Any) -> None:
    """Add ``bench`` with one sub-command per benchmark."""
    p: argparse.ArgumentParser = sub.add_parser("bench", help="run a benchmark and print figures")
    bench_sub = p.add_subparsers(dest="bench", metavar="NAME")
    bench_sub.required = True
    for name, (module, help_text) in BENCHES.items():
        bp = bench_sub.add_parser(name, help=help_text)
        mod = importlib.import_module(module)
        mod.add_arguments(bp)
        bp.set_defaults(func=_runner(module))


def _runner(module: str) -> Any:
    def run(args: argparse.Namespace, app: App) -> int:
        code: int = importlib.import_module(module).run(args, app)
        return code

    return run
