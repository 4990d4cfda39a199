"""The load bench's S3 endpoint: moto's S3 backend on werkzeug, as ``python -m moto.server``
serves it, but closer to what a MinIO server costs its clients.

``python -m moto.server`` answers in HTTP/1.0, so every request of the uploader and of each
worker opened a new TCP connection (and the server a new thread); it also matches every
request's host against all of moto's services and logs a line per request. Profiled under
``bench pipeline``, those took most of the server's CPU (writing headers, a thread per
connection, host matching, the log) and part of each worker's. MinIO keeps connections
alive and serves S3 only, and so does this server: HTTP/1.1 keep-alive, the S3 application
alone, no request log. The S3 behaviour is moto's own.

Run: ``python -m pipeline.bench.s3_server --port 9000`` (127.0.0.1 unless ``--host``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType
from typing import Any


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench.s3_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds its own URLs from it

    from moto.moto_server.werkzeug_app import create_backend_app
    from werkzeug.serving import WSGIRequestHandler, run_simple

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            """No line per request."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    run_simple(
        args.host, args.port, create_backend_app("s3"), threaded=True, request_handler=KeepAlive
    )


if __name__ == "__main__":
    main()
