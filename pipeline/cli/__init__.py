"""The ``inspectpipe`` command line.

Each command group is one module here with ``register(subparsers)``; handlers take the parsed
arguments and an :class:`App` (settings and services, built on first use) and return an exit
code: 0 done, 1 the work found problems (a bad package), 2 usage or configuration error.
Errors go to stderr as one readable line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from pipeline.cli.app import App
from pipeline.errors import ConfigError, PipelineError, TransientError, UsageError

# Command modules, in help order. Each defines ``register(subparsers)``.
COMMAND_MODULES = [
    "pipeline.cli.verify",
    "pipeline.cli.flow",
    "pipeline.cli.stations",
    "pipeline.cli.demo",
    "pipeline.cli.review",
    "pipeline.cli.users",
    "pipeline.cli.rubbing",
    "pipeline.cli.reference",
    "pipeline.cli.bench",
    "pipeline.cli.db",
    "pipeline.cli.reprocess",
    "pipeline.cli.retention",
    "pipeline.cli.samples",
]

log = logging.getLogger("inspectpipe")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="inspectpipe",
        description="Verify motor-vehicle inspection evidence (photos, VIN rubbings, frames).",
    )
    parser.add_argument("--config", help="config file (default: $INSPECTPIPE_CONFIG or built-in)")
    parser.add_argument(
        "--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    app = App(config_path=args.config)
    try:
        code: int = args.func(args, app)
        return code
    except (ConfigError, UsageError) as exc:
        print(f"inspectpipe: {exc}", file=sys.stderr)
        return 2
    except TransientError as exc:
        print(f"inspectpipe: {exc} (a service is unavailable; try again)", file=sys.stderr)
        return 1
    except PipelineError as exc:
        print(f"inspectpipe: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("inspectpipe: interrupted", file=sys.stderr)
        return 130
    finally:
        app.close()


def entry() -> None:
    """``python -m pipeline.cli``."""
    sys.exit(main())
