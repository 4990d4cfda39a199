"""The moving parts of ``inspectpipe bench pipeline``: the sample set, the services, the worker
processes, the verdict listener and per-process CPU/RSS readings from ``/proc``.

Everything the bench creates is its own and removed at the end: a bus namespace, a bucket
(on a moto server it starts when no S3 endpoint is configured), a throwaway PostgreSQL database.
Only the generated sample set is kept, in a cache folder, so a second run starts at once.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika

from pipeline.bus.base import Q_VERIFY, VERDICTS
from pipeline.bus.topology import Names
from pipeline.config import Settings

log = logging.getLogger(__name__)
CACHE = Path(tempfile.gettempdir()) / "inspectpipe-bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cached_set(distinct: int, seed: int, profile: str) -> Path:
    """A generated sample set of ``distinct`` packages, made once and cached."""
    from pipeline.samplegen import generate_set

    out = CACHE / f"set-s{seed}-n{distinct}-{profile}"
    if out.is_dir():
        return out
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    print(f"generating {distinct} sample packages into {out} (cached for later runs)...")
    generate_set(tmp, count=distinct, seed=seed, profile=profile)
    tmp.rename(out)
    return out


@dataclass
class Inspection:
    """One package to upload: its folder and what it holds."""

    folder: Path
    inspection_id: str
    attempt: int
    photos: int
    frames: int


def inspections(base: Path, count: int, work: Path) -> list[Inspection]:
    """``count`` inspections: the set's packages, then further attempts of them (hard links)."""
    folders = sorted(p.parent for p in base.glob("*/manifest.json"))
    out: list[Inspection] = []
    for i in range(count):
        src = folders[i % len(folders)]
        attempt = 1 + i // len(folders)
        doc = json.loads((src / "manifest.json").read_text("utf-8"))
        folder = src
        if attempt > 1:
            folder = work / f"{src.name}-a{attempt}"
            shutil.copytree(src, folder, copy_function=os.link, dirs_exist_ok=True)
            doc["attempt"] = attempt
            (folder / "manifest.json").unlink()
            (folder / "manifest.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
        photos = frames = 0
        for item in doc["evidence"]:
            if item.get("kind") == "frames":
                frames += sum(1 for f in (folder / item["file"]).iterdir() if f.is_file())
            else:
                photos += 1
        out.append(Inspection(folder, doc["inspection_id"], attempt, photos, frames))
    return out


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    """Wait until something listens on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@dataclass
class ProcStat:
    """CPU seconds and peak RSS of one process, read from /proc."""

    cpu: float
    peak_rss_mb: float


def proc_stat(pid: int) -> ProcStat:
    """utime + stime and VmHWM of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return ProcStat(cpu, hwm)


def _machine_ticks() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / CLK_TCK, sum(fields) / CLK_TCK


@dataclass
class MachineCpu:
    """Where the machine's CPU went during the measured window: the whole machine, this
    process (uploaders, verdict listener) and the rig's helper processes (the S3 server)."""

    helpers: dict[str, int]
    busy0: float
    total0: float
    own0: float
    helper0: dict[str, float]
    busy: float = 0.0
    total: float = 0.0
    own: float = 0.0
    helper: dict[str, float] = field(default_factory=dict)

    @classmethod
    def start(cls, helpers: dict[str, int]) -> MachineCpu:
        busy, total = _machine_ticks()
        cpu = {n: proc_stat(pid).cpu for n, pid in helpers.items()}
        return cls(helpers, busy, total, _own_cpu(), cpu)

    def stop(self) -> MachineCpu:
        busy, total = _machine_ticks()
        self.busy, self.total = busy - self.busy0, total - self.total0
        self.own = _own_cpu() - self.own0
        self.helper = {n: proc_stat(pid).cpu - self.helper0[n] for n, pid in self.helpers.items()}
        return self

    def breakdown(self, workers: dict[str, float]) -> dict[str, float]:
        """CPU seconds per part; ``other`` is the broker, the database and anything else."""
        parts = {"machine_busy": self.busy, "machine_capacity": self.total}
        parts.update(workers)
        parts["bench (uploaders, listener)"] = self.own
        parts.update(self.helper)
        known = sum(workers.values()) + self.own + sum(self.helper.values())
        parts["other (broker, database, rest)"] = self.busy - known
        return {k: round(v, 1) for k, v in parts.items()}


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Workers:
    """The worker subprocesses and their logs."""

    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, kind: str) -> None:
        """Start ``inspectpipe worker KIND``."""
        out = (self.logs / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "worker", kind],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def stats(self) -> dict[str, ProcStat]:
        """CPU and peak RSS of every live worker."""
        return {n: proc_stat(p.pid) for n, p in self.procs.items() if p.poll() is None}

    def stop(self) -> None:
        """SIGTERM, then SIGKILL what is still running after 20 s."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def tail(self, lines: int = 15) -> str:
        """The end of every worker log (for error reports)."""
        out = []
        for path in sorted(self.logs.glob("*.log")):
            out.append(f"--- {path.name}")
            out.extend(path.read_text("utf-8", "replace").splitlines()[-lines:])
        return "\n".join(out)


class VerdictListener:
    """A private queue on the ``verdicts`` exchange: when each verdict was published."""

    def __init__(self, url: str, namespace: str) -> None:
        self.url = url
        self.exchange = Names(namespace).exchange(VERDICTS)
        self.queue_name = Names(namespace).queue(Q_VERIFY)
        self.seen: dict[tuple[str, int], tuple[float, str]] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="verdicts", daemon=True)

    def __enter__(self) -> VerdictListener:
        self.thread.start()
        if not self.ready.wait(30):
            raise RuntimeError("the verdict listener could not bind to the verdicts exchange")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)

    def _run(self) -> None:
        conn = pika.BlockingConnection(pika.URLParameters(self.url))
        ch = conn.channel()
        q = ch.queue_declare("", exclusive=True, auto_delete=True).method.queue
        ch.queue_bind(q, self.exchange, "#")

        def on(_ch: Any, method: Any, _props: Any, body: bytes) -> None:
            doc = json.loads(body)
            key = (str(doc["inspection_id"]), int(doc["attempt"]))
            self.seen.setdefault(key, (time.monotonic(), str(doc["verdict"])))

        ch.basic_consume(q, on, auto_ack=True)
        self.ready.set()
        while not self.stop.is_set():
            conn.process_data_events(time_limit=0.1)
        conn.close()

    def consumers(self) -> int:
        """Consumers on the verify queue (to know when the workers are ready)."""
        conn = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            ok = conn.channel().queue_declare(self.queue_name, passive=True)
            return int(ok.method.consumer_count)
        finally:
            conn.close()


def start_moto() -> tuple[str, subprocess.Popen[bytes]]:
    """A moto S3 server in its own process (so it does not share the bench's GIL), with
    keep-alive connections like MinIO's (:mod:`pipeline.bench.s3_server`)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.bench.s3_server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    return f"127.0.0.1:{port}", proc


def worker_env(settings: Settings, overrides: dict[str, str]) -> dict[str, str]:
    """The process environment for a worker: the caller's, minus stale INSPECTPIPE_*, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTPIPE_")}
    if settings.source:
        env["INSPECTPIPE_CONFIG"] = settings.source
    env.update(overrides)
    # Workers run the same code as the bench, whatever the installed copy points at.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env
