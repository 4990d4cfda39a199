"""``inspectpipe bench console``: response time of every console page at 100,000 review items.

The console runs under uvicorn on loopback and is driven over real HTTP with a signed-in
session, so the figures include routing, the database, templates and the network stack. The
same pages are first measured at a small size (the baseline, same run, same machine), then the
database is grown to the full size and measured again; the ratio shows how each page scales.
The target is a median ≤ 100 ms per page at full size.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.cli.app import App

TARGET_MS = 100.0
PASSWORD = "bench-password-123"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Benchmark options."""
    p.add_argument("--items", type=int, default=100_000, help="review items at full size")
    p.add_argument("--baseline-items", type=int, default=1_000, help="items for the baseline")
    p.add_argument("--stations", type=int, default=100)
    p.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    p.add_argument(
        "--no-analyze",
        action="store_true",
        help="skip ANALYZE after seeding (planner statistics as a fresh SQLite file has none)",
    )
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="run on a throwaway database on this PostgreSQL server (default: SQLite file)",
    )


@contextmanager
def _database_url(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    if not args.postgres:
        yield f"sqlite:///{folder}/bench.db"
        return
    from pipeline.db.scratch import scratch_database

    with scratch_database(args.postgres, "inspectpipe_bench") as url:
        yield url


@contextmanager
def _serve(web: Any) -> Iterator[str]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1280, 960), (90, 110, 140)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _pages(sample: list[dict[str, Any]], cursor: str) -> list[tuple[str, str]]:
    """(label, path) of every page to time, using items that exist at this size."""
    one = next((s for s in sample if s["state"] == "open"), sample[0])
    station = one["station"]
    today = time.strftime("%Y-%m-%d")
    week_ago = time.strftime("%Y-%m-%d", time.localtime(time.time() - 7 * 86400))
    return [
        ("queue", "/queue"),
        ("queue next page", f"/queue?after={cursor}"),
        ("queue station filter", f"/queue?station={station}"),
        ("queue common reason", "/queue?reason=plate_mismatch"),
        ("queue rare reason", "/queue?reason=frames_looped"),
        ("queue date range", f"/queue?date_from={week_ago}&date_to={today}"),
        ("search plate", f"/queue?state=all&q={one['plate']}"),
        ("search VIN", f"/queue?state=all&q={one['vin']}"),
        ("search inspection id", f"/queue?state=all&q={one['inspection_id']}"),
        ("decided list", "/queue?state=decided"),
        ("item page", f"/items/{one['id']}"),
        ("item photo", f"/evidence/{one['id']}?key={one['prefix']}0111.jpg"),
        ("stations (8 weeks)", "/stations"),
        ("api items", "/api/items"),
        ("api item", f"/api/items/{one['id']}"),
    ]


def _time(call: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(2):
        call()  # warm caches and connections
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _measure(base: str, sample: list[dict[str, Any]], repeat: int) -> dict[str, list[float]]:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        login = client.get("/login")
        csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "sup", "password": PASSWORD, "csrf": csrf})
        cursor = client.get("/api/items").json()["next_cursor"] or ""
        figures: dict[str, list[float]] = {}
        for label, path in _pages(sample, cursor):

            def get(path: str = path) -> None:
                r = client.get(path)
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {r.status_code}")

            figures[label] = _time(get, repeat)
        page_csrf = client.get("/queue").text.split('name="csrf-token" content="')[1].split('"')[0]
        open_ids = [i["id"] for i in client.get("/api/items?limit=200").json()["items"]]
        heads = {"X-CSRF-Token": page_csrf}
        ids = iter(open_ids)

        def claim_decide() -> None:
            item = next(ids)
            client.post(f"/api/items/{item}/claim", headers=heads).raise_for_status()
            client.post(
                f"/api/items/{item}/decide",
                headers=heads,
                json={"decision": "clear", "reason": "ocr_misread"},
            ).raise_for_status()

        figures["claim + decide (2 POSTs)"] = _time(claim_decide, min(repeat, len(open_ids) - 2))
    return figures


def run(args: argparse.Namespace, app: App) -> int:
    """Seed, serve, measure at the baseline size, grow, measure again, print the table."""
    from pipeline.auth import add_user
    from pipeline.bench.console_seed import analyze, seed
    from pipeline.config import settings_from_dict
    from pipeline.console import create_app
    from pipeline.db import open_database
    from pipeline.services import Services, utc_now
    from pipeline.storage.local import LocalStore

    with (
        tempfile.TemporaryDirectory(prefix="inspectpipe-bench-") as tmp,
        _database_url(args, Path(tmp)) as url,
    ):
        settings = settings_from_dict({"home": tmp, "database": {"url": url}})
        db = open_database(settings)
        store = LocalStore(Path(tmp) / "store")
        # A no-op enroll function: the VIN team's archive is not what this measures.
        services = Services(
            settings,
            overrides={"database": db, "store": store, "enroll": lambda **kw: None},
        )
        add_user(db, "sup", PASSWORD, "supervisor", actor="bench", now=utc_now())
        web = create_app(services)
        backend = db.dialect
        results: dict[str, dict[str, list[float]]] = {}
        sizes = [args.baseline_items, args.items]
        seeded, sample = 0, list[dict[str, Any]]()
        for size in sizes:
            t = time.perf_counter()
            sample = seed(db, size - seeded, now=utc_now(), stations=args.stations) or sample
            seeded = size
            if not args.no_analyze:
                analyze(db)
            for s in sample:
                store.put(s["prefix"] + "0111.jpg", _jpeg(), content_type="image/jpeg")
            print(f"seeded {size:,} review items on {backend} in {time.perf_counter() - t:.1f} s")
            with _serve(web) as base:
                results[str(size)] = _measure(base, sample, args.repeat)
        services.close()
        db.close()
    stats = "without ANALYZE" if args.no_analyze else "after ANALYZE"
    _print(results, sizes, args.repeat, f"{backend}, {stats}")
    worst = max(statistics.median(v) for v in results[str(sizes[-1])].values())
    return 0 if worst <= TARGET_MS else 1


def _print(results: dict[str, dict[str, list[float]]], sizes: list[int], n: int, db: str) -> None:
    small, big = str(sizes[0]), str(sizes[-1])
    print(f"\nconsole response times over HTTP ({db}), {n} requests each, milliseconds")
    print(
        f"{'page':<28}{'median@' + small:>13}{'median@' + big:>15}{'p95':>9}{'max':>9}"
        f"{'ratio':>8}  ≤{TARGET_MS:.0f} ms"
    )
    for label, times in results[big].items():
        base = statistics.median(results[small][label])
        med = statistics.median(times)
        p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
        ok = "yes" if med <= TARGET_MS else "NO"
        print(
            f"{label:<28}{base:>13.1f}{med:>15.1f}{p95:>9.1f}{max(times):>9.1f}"
            f"{med / base:>8.2f}  {ok}"
        )
