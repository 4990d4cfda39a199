"""Fault-test rig: real RabbitMQ, the moto S3 server and a fresh PostgreSQL database, with a
controllable TCP proxy in front of the store and one in front of the broker, and verify
workers run as subprocesses (``python -m pipeline.cli worker ...``) so they can be killed.

Workers use a light photo-type table (the shipped one without the OCR checks) so each package
takes a fraction of a second: the faults are about delivery, not about check cost.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.bus.base import Q_VERIFY, Q_VERIFY_DLQ
from pipeline.config import CONFIG_DIR, load_settings
from pipeline.db import schema
from pipeline.services import Services
from tests.conftest import PROJECT
from tests.faults.proxy import TcpProxy
from tests.flow.conftest import pg_database

HEAVY_CHECKS = {
    "watermark_date",
    "plate_match",
    "vin_match",
    "vin_photo_vs_rubbing",
    "frames_plate",
}


def light_photo_types(folder: Path) -> Path:
    """The shipped photo-type table without the OCR-heavy checks."""
    text = (CONFIG_DIR / "photo_types.toml").read_text("utf-8")

    def strip(m: re.Match[str]) -> str:
        names = [n for n in re.findall(r'"([^"]+)"', m.group(1)) if n not in HEAVY_CHECKS]
        return "checks = [" + ", ".join(f'"{n}"' for n in names) + "]"

    path = folder / "photo_types_light.toml"
    path.write_text(re.sub(r"checks = \[([^\]]*)\]", strip, text), "utf-8")
    return path


@dataclass
class Rig:
    """Everything one fault test needs; ``env`` is what a worker subprocess is given."""

    env: dict[str, str]
    services: Services
    store_proxy: TcpProxy
    bus_proxy: TcpProxy
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def worker(self, kind: str = "verify", *extra: str, name: str = "") -> subprocess.Popen[bytes]:
        """Start ``inspectpipe worker KIND`` as a subprocess; stderr goes to a log file."""
        log = (self.logs / f"{name or kind}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "--log-level", "INFO", "worker", kind, *extra],
            env=self.env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def log_text(self) -> str:
        """All worker output so far (for assertions and failure messages)."""
        return "\n".join(p.read_text("utf-8", "replace") for p in sorted(self.logs.glob("*.log")))

    def counts(self) -> dict[str, int]:
        """Rows in inspections, results and review_items."""
        with self.services.database.read() as conn:
            return {
                t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                for t in (schema.inspections, schema.results, schema.review_items)
            }

    def depth(self, queue: str = Q_VERIFY) -> int:
        """Messages ready in a queue (through the direct, un-proxied connection)."""
        return self.services.bus.queue_depth(queue)

    def wait(self, what: str, cond: Callable[[], bool], timeout: float = 60.0) -> None:
        """Poll ``cond`` until true; fail with the workers' log tail on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.2)
        tails = "\n".join(
            f"--- {p.name} (exit {self._exit(p.stem)}):\n" + p.read_text("utf-8", "replace")[-2500:]
            for p in sorted(self.logs.glob("*.log"))
        )
        pytest.fail(f"timed out waiting for {what}; counts {self.counts()}\n{tails}")

    def _exit(self, stem: str) -> int | None:
        index = int(stem.rsplit("-", 1)[1])
        return self.procs[index].poll() if index < len(self.procs) else None

    def stop_all(self) -> None:
        """SIGTERM every live worker, then SIGKILL what does not stop."""
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def bus_endpoint(url: str) -> tuple[str, int]:
    """host, port of an amqp:// URL."""
    m = re.match(r"amqps?://(?:[^@]*@)?([^:/]+):?(\d+)?", url)
    assert m, url
    return m.group(1), int(m.group(2) or 5672)


@pytest.fixture
def rig(
    tmp_path: Path,
    home: Path,
    rabbitmq_url: str,
    s3_endpoint: str,
    pg_database: str,
    unique: str,
) -> Iterator[Rig]:
    """Services (direct connections, for the test's own reads) and a worker env (proxied)."""
    host, port = s3_endpoint.split(":")
    store_proxy = TcpProxy((host, int(port)))
    bus_proxy = TcpProxy(bus_endpoint(rabbitmq_url))
    proxied_url = re.sub(r"@[^/]+/", f"@{bus_proxy.address}/", rabbitmq_url)
    base = {
        "INSPECTPIPE_HOME": str(home),
        "INSPECTPIPE_PHOTO_TYPES": str(light_photo_types(tmp_path)),
        "INSPECTPIPE_STORE_BACKEND": "minio",
        "INSPECTPIPE_STORE_ENDPOINT": s3_endpoint,
        "INSPECTPIPE_STORE_ACCESS_KEY": "testing",
        "INSPECTPIPE_STORE_SECRET_KEY": "testing",
        "INSPECTPIPE_STORE_BUCKET": f"faults-{unique}",
        "INSPECTPIPE_BUS_BACKEND": "rabbitmq",
        "INSPECTPIPE_BUS_URL": rabbitmq_url,
        "INSPECTPIPE_BUS_NAMESPACE": f"f{unique}.",
        "INSPECTPIPE_BUS_DELIVERY_LIMIT": "3",
        "INSPECTPIPE_BUS_RETRY_MAX_SECONDS": "2",
        "INSPECTPIPE_BUS_HEARTBEAT": "5",
        "INSPECTPIPE_DATABASE_URL": pg_database,
    }
    services = Services(load_settings(env=base))
    services.store.ensure_bucket()  # type: ignore[attr-defined]
    services.bus.declare()
    worker_env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTPIPE_")}
    worker_env.update(base)
    worker_env["INSPECTPIPE_STORE_ENDPOINT"] = store_proxy.address
    worker_env["INSPECTPIPE_BUS_URL"] = proxied_url
    worker_env["PYTHONPATH"] = str(PROJECT)
    logs = tmp_path / "logs"
    logs.mkdir()
    r = Rig(worker_env, services, store_proxy, bus_proxy, logs)
    try:
        yield r
    finally:
        r.stop_all()
        store_proxy.close()
        bus_proxy.close()
        try:
            services.bus.delete_topology()  # type: ignore[attr-defined]
        finally:
            services.close()


__all__ = ["Q_VERIFY", "Q_VERIFY_DLQ", "Rig", "pg_database", "rig"]
