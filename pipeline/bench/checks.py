"""``inspectpipe bench checks``: photo-check cost vs JPEG decode, and hash-bank lookup latency.

Part 1 renders varied 1080p photos (plate + burned-in watermark), encodes them as JPEG and
times, in the same run: decoding the JPEG, each photo check on a fresh item, all checks
without OCR together, and all checks together (one shared item cache, as the runner does).
Part 2 bulk-loads ``--hashes`` random pHashes into the bank on SQLite and PostgreSQL (a
throwaway file / schema) and times lookups. Targets: non-OCR checks <= 3x decode; all
checks <= 150 ms per photo on one core; lookup <= 5 ms at 10M hashes on PostgreSQL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from sqlalchemy import create_engine, text

from pipeline.checks.base import CheckContext
from pipeline.cli.app import App
from pipeline.db.schema import metadata
from pipeline.hashbank import HashBank
from pipeline.manifest import parse_manifest
from pipeline.package import LoadedItem, LoadedPackage
from pipeline.photo.phash import phash_pair
from pipeline.photo.synth import Scene, jpeg, render
from pipeline.services import Services

NON_OCR = ("quality", "exif_time", "photo_reuse", "editing_traces")
OCR = ("watermark_date", "plate_match")
PLATES = ("京A12345", "鲁F8B2Q7", "粤BD12345", "沪C6K095")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the benchmark."""
    p.add_argument("--photos", type=int, default=4, help="1080p photos to time (default 4)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per photo and check")
    p.add_argument("--hashes", type=int, default=1_000_000, help="hashes to load (10M: 10000000)")
    p.add_argument("--lookups", type=int, default=300, help="lookups to time per backend")
    p.add_argument("--backends", default="sqlite,postgres", help="comma list: sqlite,postgres")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="server for the PostgreSQL run (a throwaway schema is created and dropped)",
    )
    p.add_argument("--skip-checks", action="store_true", help="only the hash-bank part")
    p.add_argument("--skip-bank", action="store_true", help="only the per-check part")


def run(args: argparse.Namespace, app: App) -> int:
    """Run both parts and print figures."""
    out: dict[str, Any] = {}
    if not args.skip_checks:
        out["checks"] = bench_checks(app, args.photos, args.repeat)
    if not args.skip_bank:
        out["hash_bank"] = bench_bank(args)
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


def _photos(count: int) -> list[tuple[bytes, str, datetime]]:
    tz = ZoneInfo("Asia/Shanghai")
    out = []
    for i in range(count):
        moment = datetime(2026, 11, 23, 9, 10 + i, 5, tzinfo=tz)
        scene = Scene(
            plate=PLATES[i % len(PLATES)],
            plate_color=("blue", "yellow", "green", "blue")[i % 4],
            watermark=moment.replace(tzinfo=None),
            watermark_lines=["XX机动车检测站 1号线"],
            corner=("tl", "bl", "br", "tr")[i % 4],
            wm_box=i % 2 == 1,
            seed=900 + i,
        )
        out.append((jpeg(render(scene), 90), scene.plate or "", moment))
    return out


def _context(
    services: Services, data: bytes, plate: str, moment: datetime
) -> tuple[CheckContext, Callable[[], LoadedItem]]:
    start = moment - timedelta(minutes=5)
    doc = {
        "schema": "inspection/1", "inspection_id": f"BENCH-{hashlib.sha256(data).hexdigest()[:8]}",
        "station_id": "S1", "lane": "1", "attempt": 1, "started_at": start.isoformat(),
        "finished_at": (start + timedelta(minutes=30)).isoformat(),
        "vehicle": {"plate": plate, "plate_type": "02", "vin": "LSVAM4187C2184847",
                    "vehicle_type": "K33", "use": "A"},
        "evidence": [{"code": "0111", "file": "0111.jpg", "taken_at": moment.isoformat()}],
    }  # fmt: skip
    manifest = parse_manifest(json.dumps(doc))
    sha = hashlib.sha256(data).hexdigest()

    def fresh() -> LoadedItem:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return LoadedItem(manifest.evidence[0], data=data, image=image, sha256=sha)

    package = LoadedPackage(manifest, "0" * 64, [fresh()], source=None)  # type: ignore[arg-type]
    ctx = CheckContext(package, manifest.vehicle, None, services, ZoneInfo("Asia/Shanghai"))
    return ctx, fresh


def _ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def bench_checks(app: App, count: int, repeat: int) -> dict[str, Any]:
    """Per-check cost against the decode of the same JPEG, median over photos and runs."""
    tmp = tempfile.mkdtemp(prefix="bench-bank-")
    engine = create_engine(f"sqlite:///{tmp}/bank.db")
    metadata.create_all(engine, tables=[metadata.tables["photo_hashes"]])
    services = Services(app.settings, overrides={"hash_bank": HashBank(engine)})
    checks = services.checks
    services.ocr.read_line(np.full((48, 320, 3), 255, np.uint8))  # load models outside timing
    rows: dict[str, list[float]] = {}
    outcomes: dict[str, list[str]] = {}
    for data, plate, moment in _photos(count):
        ctx, fresh = _context(services, data, plate, moment)
        for name, ms in _time_photo(checks, ctx, fresh, data, repeat).items():
            rows.setdefault(name, []).append(ms)
        item = fresh()
        for name in (*NON_OCR, *OCR):
            outcomes.setdefault(name, []).append(checks[name].check_item(ctx, item).outcome)  # type: ignore[union-attr]
    engine.dispose()
    decode_ms = statistics.median(rows["decode"])
    table = {
        name: {
            "ms": round(statistics.median(v), 2),
            "x_decode": round(statistics.median(v) / decode_ms, 2),
        }
        for name, v in rows.items()
    }
    return {"photos": count, "size": "1920x1080 JPEG q90", "per_check": table, "outcomes": outcomes}


def _time_photo(
    checks: dict[str, Any],
    ctx: CheckContext,
    fresh: Callable[[], LoadedItem],
    data: bytes,
    repeat: int,
) -> dict[str, float]:
    """Median ms of decode, of each check on a fresh item, and of the checks together."""
    buf = np.frombuffer(data, np.uint8)
    out = {"decode": _ms(lambda: cv2.imdecode(buf, cv2.IMREAD_COLOR), repeat)}
    gray = fresh().gray
    # The CPU part of photo_reuse; the rest of that check is hash-bank I/O.
    out["phash_only"] = _ms(lambda: phash_pair(gray), repeat)
    for name in (*NON_OCR, *OCR):
        out[name] = _on_fresh((name,), checks, ctx, fresh, repeat)
    out["all_non_ocr"] = _on_fresh(NON_OCR, checks, ctx, fresh, repeat)
    out["all_checks"] = _on_fresh((*NON_OCR, *OCR), checks, ctx, fresh, repeat)
    return out


def _on_fresh(
    names: tuple[str, ...],
    checks: dict[str, Any],
    ctx: CheckContext,
    fresh: Callable[[], LoadedItem],
    repeat: int,
) -> float:
    """Median ms of running checks in order on one freshly decoded item (decode not timed)."""
    times = []
    for _ in range(repeat):
        item = fresh()
        t0 = time.perf_counter()
        for n in names:
            checks[n].check_item(ctx, item)
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def bench_bank(args: argparse.Namespace) -> dict[str, Any]:
    """Load and time the bank on each backend."""
    from pipeline.bench.bankload import load, time_lookups

    result: dict[str, Any] = {
        "hashes": args.hashes,
        "distribution": "uniform random 64-bit",
        "indexes": "the schema's: (band_i, phash) for i in 0..3, sha256, inspection_id",
    }
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="bench-bank-"))
            engine = create_engine(f"sqlite:///{folder}/bank.db")
            hashes, secs = load(engine, args.hashes)
            result["sqlite"] = {
                "load_s": round(secs, 1),
                **_round(time_lookups(HashBank(engine), hashes, args.lookups)),
            }
            engine.dispose()
            (folder / "bank.db").unlink()
        elif backend == "postgres":
            result["postgres"] = _bench_pg(args, load, time_lookups)
    return result


def _bench_pg(args: argparse.Namespace, load: Any, time_lookups: Any) -> dict[str, Any]:
    schema = f"bench_{os.getpid()}"
    admin = create_engine(args.postgres_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no server: report it instead of failing the whole run
        return {"skipped": f"{type(exc).__name__}: PostgreSQL not reachable"}
    engine = create_engine(args.postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        hashes, secs = load(engine, args.hashes)
        return {
            "load_s": round(secs, 1),
            **_round(time_lookups(HashBank(engine), hashes, args.lookups)),
        }
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in d.items()}
