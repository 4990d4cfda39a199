"""``inspectpipe bench pipeline``: the whole flow under load, end to end.

Uploads ``--inspections`` generated packages (pipeline.samplegen, cached; beyond ``--distinct``
packages further attempts of the same ones are used) to the S3 endpoint — the configured MinIO,
or a moto server started here — while ``--workers`` verify worker processes and one
review-intake worker run over RabbitMQ with a throwaway PostgreSQL database. Prints:

- photos per second end to end (first upload start → last verdict), and per second of work;
- upload-to-verdict latency p50/p95/p99 (from the upload's start, or its scheduled start with
  ``--rate``, so queueing in front of a slow uploader counts too);
- worker CPU seconds per photo against the JPEG-decode floor measured in the same run (every
  distinct photo decoded once, one process, ``cv2.imdecode`` as the loader does);
- peak RSS per worker (VmHWM).

Targets (issue 8, this 2-core machine): ≥ 25 photos/s sustained, p95 ≤ 5 s at 20 photos/s
offered (``--rate 20``), ≤ 500 MB per worker.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import simplejpeg

from pipeline.bench import pipeline_rig as rig
from pipeline.cli.app import App
from pipeline.cli.demo import seed_office_data
from pipeline.config import load_settings
from pipeline.db.scratch import scratch_database
from pipeline.services import Services
from pipeline.upload import upload_package


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the benchmark."""
    p.add_argument("--inspections", type=int, default=24, help="packages to upload (default 24)")
    p.add_argument("--workers", type=int, default=2, help="verify worker processes (default 2)")
    p.add_argument("--rate", type=float, default=None, help="offered load in photos/s")
    p.add_argument("--distinct", type=int, default=12, help="distinct generated packages")
    p.add_argument("--seed", type=int, default=20261123, help="sample-set seed")
    p.add_argument("--profile", default="full", choices=["full", "compact"])
    p.add_argument("--uploaders", type=int, default=2, help="uploading threads (default 2)")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="server for the throwaway database (created and dropped)",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="give up after this many s")


def run(args: argparse.Namespace, app: App) -> int:
    """Set up, run the load, print figures, clean up."""
    base = rig.cached_set(args.distinct, args.seed, args.profile)
    settings = app.settings
    tag = uuid.uuid4().hex[:8]
    cleanups: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        work = Path(tmp)
        todo = rig.inspections(base, args.inspections, work)
        try:
            helpers: dict[str, int] = {}  # other processes of the rig whose CPU is reported
            env = _environment(settings, tag, work, args, cleanups, helpers)
            services = Services(load_settings(env=env))
            cleanups.append(services.close)
            services.store.ensure_bucket()  # type: ignore[attr-defined]
            services.bus.declare()
            cleanups.append(services.bus.delete_topology)  # type: ignore[attr-defined]
            # The set's registry and reference rubbings, as the office would have them (without
            # references the rubbing comparison would be skipped and the load understated).
            print("office data:", seed_office_data(services, base))
            out = _measure(services, env, todo, work, args, helpers)
        finally:
            for fn in reversed(cleanups):
                try:
                    fn()
                except Exception as exc:  # cleanup is best effort; say what was left
                    print(f"cleanup: {exc}")
    out["decode_floor"] = _decode_floor(todo[: args.distinct])
    _ratios(out)
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0 if out["complete"] else 1


def _environment(
    settings: Any,
    tag: str,
    work: Path,
    args: argparse.Namespace,
    cleanups: list[Any],
    helpers: dict[str, int],
) -> dict[str, str]:
    store = settings.store
    env = {
        "INSPECTPIPE_HOME": str(work / "home"),
        "INSPECTPIPE_BUS_BACKEND": "rabbitmq",
        "INSPECTPIPE_BUS_URL": settings.bus.url,
        "INSPECTPIPE_BUS_NAMESPACE": f"bench{tag}.",
        "INSPECTPIPE_STORE_BACKEND": "minio",
        "INSPECTPIPE_STORE_BUCKET": f"bench-{tag}",
        # The caller's tables and OCR threads (e.g. an experimental photo-type table).
        "INSPECTPIPE_PHOTO_TYPES": str(settings.table_path(settings.photo_types)),
        "INSPECTPIPE_OCR_THREADS": str(settings.ocr.threads),
    }
    if store.backend == "minio":
        env.update(
            INSPECTPIPE_STORE_ENDPOINT=store.endpoint,
            INSPECTPIPE_STORE_ACCESS_KEY=store.access_key,
            INSPECTPIPE_STORE_SECRET_KEY=store.secret_key,
        )
    else:
        endpoint, moto = rig.start_moto()
        cleanups.append(moto.terminate)
        helpers["s3-server (moto)"] = moto.pid
        env.update(
            INSPECTPIPE_STORE_ENDPOINT=endpoint,
            INSPECTPIPE_STORE_ACCESS_KEY="bench",
            INSPECTPIPE_STORE_SECRET_KEY="bench",
        )
    stack = ExitStack()
    env["INSPECTPIPE_DATABASE_URL"] = stack.enter_context(
        scratch_database(args.postgres_url, "bench")
    )
    cleanups.append(stack.close)
    return rig.worker_env(settings, env)


def _measure(
    services: Services,
    env: dict[str, str],
    todo: list[rig.Inspection],
    work: Path,
    args: argparse.Namespace,
    helpers: dict[str, int],
) -> dict[str, Any]:
    logs = work / "logs"
    logs.mkdir()
    workers = rig.Workers(env, logs)
    with rig.VerdictListener(env["INSPECTPIPE_BUS_URL"], env["INSPECTPIPE_BUS_NAMESPACE"]) as vl:
        try:
            for i in range(args.workers):
                workers.start(f"verify-{i}", "verify")
            workers.start("review-intake", "review-intake")
            deadline = time.monotonic() + 120
            while vl.consumers() < args.workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("workers did not start:\n" + workers.tail())
                time.sleep(0.3)
            before = workers.stats()
            machine = rig.MachineCpu.start(helpers)
            started = _upload(services, todo, args.rate, args.uploaders)
            deadline = time.monotonic() + args.timeout
            while len(vl.seen) < len(todo) and time.monotonic() < deadline:
                time.sleep(0.2)
            after = workers.stats()
            used = machine.stop()
        finally:
            workers.stop()
    out = _figures(todo, started, dict(vl.seen), before, after, args)
    workers_cpu = {n: round(a.cpu - before[n].cpu, 1) for n, a in after.items() if n in before}
    out["machine_cpu_s"] = used.breakdown(workers_cpu)
    return out


def _upload(
    services: Services, todo: list[rig.Inspection], rate: float | None, threads: int
) -> dict[tuple[str, int], float]:
    """Upload everything (as fast as possible, or on a schedule of ``rate`` photos/s)."""
    started: dict[tuple[str, int], float] = {}
    t0 = time.monotonic()
    offsets, acc = [], 0.0
    for ins in todo:
        offsets.append(acc)
        acc += ins.photos / rate if rate else 0.0

    def one(index: int) -> None:
        ins = todo[index]
        due = t0 + offsets[index]
        time.sleep(max(0.0, due - time.monotonic()))
        started[(ins.inspection_id, ins.attempt)] = due if rate else time.monotonic()
        upload_package(ins.folder, services.store, services.bus, services.settings)

    with ThreadPoolExecutor(threads if not rate else max(threads, 8)) as pool:
        list(pool.map(one, range(len(todo))))
    return started


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.array(values), q))


def _figures(
    todo: list[rig.Inspection],
    started: dict[tuple[str, int], float],
    seen: dict[tuple[str, int], tuple[float, str]],
    before: dict[str, rig.ProcStat],
    after: dict[str, rig.ProcStat],
    args: argparse.Namespace,
) -> dict[str, Any]:
    done = [i for i in todo if (i.inspection_id, i.attempt) in seen]
    photos = sum(i.photos for i in done)
    frames = sum(i.frames for i in done)
    lat = [
        seen[(i.inspection_id, i.attempt)][0] - started[(i.inspection_id, i.attempt)] for i in done
    ]
    first = min(started.values())
    last = max(s[0] for s in seen.values()) if seen else first
    wall = max(last - first, 1e-9)
    verify = {n: a for n, a in after.items() if n.startswith("verify")}
    cpu = sum(a.cpu - before[n].cpu for n, a in verify.items() if n in before)
    verdicts: dict[str, int] = {}
    for _, v in seen.values():
        verdicts[v] = verdicts.get(v, 0) + 1
    return {
        "inspections": len(todo),
        "verified": len(done),
        "complete": len(done) == len(todo),
        "workers": args.workers,
        "offered_photos_per_s": args.rate,
        "photos": photos,
        "frames": frames,
        "verdicts": verdicts,
        "wall_s": round(wall, 2),
        "photos_per_s": round(photos / wall, 2),
        "images_per_s_incl_frames": round((photos + frames) / wall, 2),
        "latency_s": {
            "p50": round(_pct(lat, 50), 2),
            "p95": round(_pct(lat, 95), 2),
            "p99": round(_pct(lat, 99), 2),
            "max": round(max(lat), 2) if lat else None,
        },
        "worker_cpu_s": round(cpu, 2),
        "worker_cpu_s_per_photo": round(cpu / max(photos, 1), 4),
        "peak_rss_mb": {n: round(a.peak_rss_mb) for n, a in after.items()},
    }


def _decode_floor(todo: list[rig.Inspection]) -> dict[str, Any]:
    """CPU seconds to decode every distinct photo once (frames too), in this one process,
    with the decoder the workers use for JPEGs (libjpeg-turbo through simplejpeg)."""
    files = []
    for ins in todo:
        doc = json.loads((ins.folder / "manifest.json").read_text("utf-8"))
        for item in doc["evidence"]:
            if item.get("kind") == "frames":
                files += sorted(p for p in (ins.folder / item["file"]).iterdir() if p.is_file())
            else:
                files.append(ins.folder / item["file"])
    blobs = [f.read_bytes() for f in files if f.is_file()]
    t0 = time.process_time()
    for b in blobs:
        if b[:2] == b"\xff\xd8":
            simplejpeg.decode_jpeg(b, colorspace="BGR", strict=False)
        else:
            cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)
    cpu = time.process_time() - t0
    return {"images": len(blobs), "cpu_s": round(cpu, 3), "cpu_s_per_image": cpu / len(blobs)}


def _ratios(out: dict[str, Any]) -> None:
    """Worker CPU per image over the decode floor per image."""
    images = out["photos"] + out["frames"]
    if images and out["decode_floor"]["cpu_s_per_image"] > 0:
        per_image = out["worker_cpu_s"] / images
        out["worker_cpu_s_per_image"] = round(per_image, 4)
        out["cpu_vs_decode_floor"] = round(per_image / out["decode_floor"]["cpu_s_per_image"], 1)
    out["decode_floor"]["cpu_s_per_image"] = round(out["decode_floor"]["cpu_s_per_image"], 4)
    out["targets"] = {
        "photos_per_s>=25": out["photos_per_s"] >= 25,
        "p95<=5s@20/s": (
            out["latency_s"]["p95"] <= 5.0 if (out["offered_photos_per_s"] or 0) >= 20 else None
        ),
        "rss<=500MB": all(v <= 500 for v in out["peak_rss_mb"].values()),
    }
