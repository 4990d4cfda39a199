"""``inspectpipe upload`` and ``inspectpipe worker verify|review-intake``."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import PipelineError
from pipeline.upload import upload_package

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add ``upload`` and ``worker``."""
    up: argparse.ArgumentParser = sub.add_parser(
        "upload", help="a station's upload: evidence first, manifest last, then the event"
    )
    up.add_argument("paths", nargs="+", metavar="PATH", help="package folder with manifest.json")
    up.set_defaults(func=run_upload)

    wk: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run a worker until stopped (SIGTERM finishes the message in hand)"
    )
    wk.add_argument("kind", choices=["verify", "review-intake"])
    wk.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        help="stop after this many seconds without a message",
    )
    wk.add_argument("--max-messages", type=int, default=None, help="stop after N messages")
    wk.set_defaults(func=run_worker)


def run_upload(args: argparse.Namespace, app: App) -> int:
    """Upload each package; a bad one is reported and the others still go."""
    services = app.services
    failed = 0
    for path in args.paths:
        try:
            report = upload_package(path, services.store, services.bus, services.settings)
        except PipelineError as exc:
            print(f"inspectpipe: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        note = "event published" if report.event_published else "event left to the store"
        print(
            f"uploaded {report.address.prefix}  {len(report.uploaded)} files "
            f"({report.bytes / 1e6:.1f} MB), {len(report.skipped)} already there, {note}"
        )
    return 1 if failed else 0


def run_worker(args: argparse.Namespace, app: App) -> int:
    """Run one worker in the foreground."""
    from workers import review_intake, verify
    from workers.common import stop_on_signals

    services = app.services
    stop = threading.Event()
    stop_on_signals(stop)
    module = verify if args.kind == "verify" else review_intake
    print(f"inspectpipe worker {args.kind}: running (Ctrl-C or SIGTERM to stop)", file=sys.stderr)
    handled = module.run(
        services, stop=stop, idle_timeout=args.idle_timeout, max_messages=args.max_messages
    )
    print(f"inspectpipe worker {args.kind}: stopped after {handled} messages", file=sys.stderr)
    return 0
