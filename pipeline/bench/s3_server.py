"""The load bench's S3 endpoint: moto's S3 backend on werkzeug, as ``python -m moto.server``
serves it, but closer to what a MinIO server costs its clients.

``python -m moto.server`` answers in HTTP/1.0, so every request of the uploader and of each
worker opened a new TCP connection (and the server a new thread); it also matches every
request's host against all of moto's services and logs a line per request. Profiled under
``bench pipeline``, those took most of the server's CPU (writing headers, a thread per
connection, host matching, the log) and part of each worker's. MinIO keeps connections
alive and serves S3 only, and so does this server: the S3 application alone, served by
waitress (HTTP/1.1 keep-alive, a fixed pool of threads, no request log). werkzeug's own
server cannot keep a connection alive: from werkzeug 2.1 it answers every request with
``Connection: close``. The S3 behaviour is moto's own.

Run: ``python -m pipeline.bench.s3_server --port 9000`` (127.0.0.1 unless ``--host``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench.s3_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds its own URLs from it

    import waitress
    from moto.moto_server.werkzeug_app import create_backend_app

    def stop(_signum: int, _frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    waitress.serve(create_backend_app("s3"), host=args.host, port=args.port, threads=4, _quiet=True)


if __name__ == "__main__":
    main()
