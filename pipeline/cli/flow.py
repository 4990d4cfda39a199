"""``inspectpipe upload`` and ``inspectpipe worker verify|review-intake``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import PipelineError, UsageError
from pipeline.upload import upload_package

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add ``upload`` and ``worker``."""
    up: argparse.ArgumentParser = sub.add_parser(
        "upload", help="a station's upload: evidence first, manifest last, then the event"
    )
    up.add_argument("paths", nargs="+", metavar="PATH", help="package folder with manifest.json")
    up.add_argument(
        "--server",
        metavar="URL",
        help="upload through the station API at URL (presigned PUTs) instead of the store",
    )
    up.add_argument(
        "--key",
        metavar="KEY",
        help="the station's API key (default: $INSPECTPIPE_STATION_KEY; needs --server)",
    )
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
    wk.add_argument(
        "--reconcile-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="verify worker: also enqueue manifests without a result, at start and this often",
    )
    wk.set_defaults(func=run_worker)


def run_upload(args: argparse.Namespace, app: App) -> int:
    """Upload each package; a bad one is reported and the others still go."""
    if args.server or args.key:
        return _upload_via_api(args, app)
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


def _upload_via_api(args: argparse.Namespace, app: App) -> int:
    """``upload --server URL``: through the station API (see pipeline/stations/client.py)."""
    from pipeline.stations.client import StationClient

    key = args.key or os.environ.get("INSPECTPIPE_STATION_KEY", "")
    if not args.server or not key:
        raise UsageError("upload through the API needs --server URL and --key KEY (or the env)")
    client = StationClient(args.server, key)
    failed = 0
    try:
        for path in args.paths:
            try:
                report = client.upload(path, app.settings.limits)
            except PipelineError as exc:
                print(f"inspectpipe: {path}: {exc}", file=sys.stderr)
                failed += 1
                continue
            note = "event published" if report.event_published else "event left to the store"
            print(
                f"uploaded {report.prefix}  {len(report.uploaded)} files "
                f"({report.bytes / 1e6:.1f} MB) via {args.server}, "
                f"{len(report.skipped)} already there, {note}"
            )
    finally:
        client.close()
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
    extra = {"reconcile_every": args.reconcile_every} if args.kind == "verify" else {}
    handled = module.run(
        services,
        stop=stop,
        idle_timeout=args.idle_timeout,
        max_messages=args.max_messages,
        **extra,
    )
    print(f"inspectpipe worker {args.kind}: stopped after {handled} messages", file=sys.stderr)
    return 0
