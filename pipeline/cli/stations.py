"""``inspectpipe stations add|rotate|revoke|list|policy|serve``: station keys and the upload API."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from pipeline.cli.app import App


def register(sub: Any) -> None:
    """Add the ``stations`` command group."""
    st: argparse.ArgumentParser = sub.add_parser(
        "stations", help="station upload keys, IAM policies and the station upload API"
    )
    ss = st.add_subparsers(dest="stations_command", metavar="ACTION")
    ss.required = True
    add = ss.add_parser("add", help="register a station and print its first key (shown once)")
    add.add_argument("station", metavar="STATION")
    add.add_argument("--name", default="", help="the station's name, for people")
    add.set_defaults(func=run_add)
    rot = ss.add_parser("rotate", help="issue a new key (the old one stops working at once)")
    rot.add_argument("station", metavar="STATION")
    rot.set_defaults(func=run_rotate)
    rev = ss.add_parser("revoke", help="refuse the station's key until the next rotate")
    rev.add_argument("station", metavar="STATION")
    rev.set_defaults(func=run_revoke)
    ls = ss.add_parser("list", help="stations and the state of their keys")
    ls.add_argument("--json", action="store_true", help="one JSON array")
    ls.set_defaults(func=run_list)
    pol = ss.add_parser("policy", help="the MinIO IAM policy confining a station to its prefix")
    pol.add_argument("station", metavar="STATION")
    pol.add_argument("--bucket", default=None, help="bucket (default: store.bucket)")
    pol.set_defaults(func=run_policy)
    srv = ss.add_parser("serve", help="run the station upload API (beside the console)")
    srv.add_argument("--host", default=None, help="default: console.host")
    srv.add_argument("--port", type=int, default=None, help="default: console.station_port")
    srv.set_defaults(func=run_serve)


def _actor() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "cli"


def _show_key(station: str, key: str) -> None:
    print(key)
    print(
        f"inspectpipe: the key of station {station} is shown once; give it to the station "
        "(INSPECTPIPE_STATION_KEY or --key), it is stored only as a hash",
        file=sys.stderr,
    )


def run_add(args: argparse.Namespace, app: App) -> int:
    """Register a station."""
    from pipeline.stations.keys import add_station

    s = app.services
    key = add_station(s.database, args.station, name=args.name, actor=_actor(), now=s.clock())
    _show_key(args.station, key)
    return 0


def run_rotate(args: argparse.Namespace, app: App) -> int:
    """Rotate a station's key."""
    from pipeline.stations.keys import rotate_key

    s = app.services
    key = rotate_key(s.database, args.station, actor=_actor(), now=s.clock())
    _show_key(args.station, key)
    return 0


def run_revoke(args: argparse.Namespace, app: App) -> int:
    """Revoke a station's key."""
    from pipeline.stations.keys import revoke_key

    s = app.services
    revoke_key(s.database, args.station, actor=_actor(), now=s.clock())
    print(f"station {args.station}: key revoked (rotate to issue a new one)")
    return 0


def run_list(args: argparse.Namespace, app: App) -> int:
    """List stations."""
    from pipeline.stations.keys import list_stations

    rows = [
        {
            "station_id": st.station_id,
            "name": st.name,
            "key_id": st.key_id,
            "state": "revoked" if st.revoked else "active",
            "created_at": st.created_at.isoformat(),
            "rotated_at": st.rotated_at.isoformat() if st.rotated_at else None,
        }
        for st in list_stations(app.services.database)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['station_id']:<16} {r['state']:<8} key {r['key_id'] or '-':<12} "
            f"rotated {r['rotated_at'] or '-':<32} {r['name']}"
        )
    if not rows:
        print("no stations (inspectpipe stations add STATION)", file=sys.stderr)
    return 0


def run_policy(args: argparse.Namespace, app: App) -> int:
    """Print the IAM policy JSON."""
    from pipeline.stations.policy import station_policy

    bucket = args.bucket or app.settings.store.bucket
    print(json.dumps(station_policy(bucket, args.station), indent=2))
    return 0


def run_serve(args: argparse.Namespace, app: App) -> int:
    """Serve the station API until stopped."""
    import uvicorn

    from pipeline.stations.api import create_station_app

    cfg = app.settings.console
    asgi = create_station_app(app.services)
    host, port = args.host or cfg.host, args.port or cfg.station_port
    print(f"inspectpipe station API on http://{host}:{port}/docs", file=sys.stderr)
    # Access logs hold paths only (no keys, no presigned URLs: those are in bodies).
    uvicorn.run(asgi, host=host, port=port, log_level="warning")
    return 0
