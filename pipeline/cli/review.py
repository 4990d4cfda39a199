"""``inspectpipe review serve [--host H] [--port P]``: the reviewers' console."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from pipeline.cli.app import App

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add the ``review`` command group."""
    p: argparse.ArgumentParser = sub.add_parser("review", help="the central review console")
    review_sub = p.add_subparsers(dest="review_command", metavar="ACTION")
    review_sub.required = True
    serve = review_sub.add_parser("serve", help="serve the reviewers' console (FastAPI)")
    serve.add_argument("--host", help="address to listen on (default: console.host)")
    serve.add_argument("--port", type=int, help="port (default: console.port)")
    serve.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace, app: App) -> int:
    """Build the app on the configured services and serve it until interrupted."""
    import uvicorn

    from pipeline.console import create_app

    settings = app.settings
    host = args.host or settings.console.host
    port = args.port or settings.console.port
    web = create_app(app.services)
    print(f"inspectpipe console on http://{host}:{port}/ (API docs at /docs)", flush=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=True)
    return 0
