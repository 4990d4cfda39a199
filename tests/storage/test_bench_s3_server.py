"""The load bench's S3 endpoint (moto's S3 on keep-alive HTTP/1.1) serves the pipeline's store."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest

from pipeline.bench.pipeline_rig import start_moto
from pipeline.config import StoreSettings
from pipeline.errors import EvidenceError
from pipeline.storage.minio import MinioStore, make_client


def test_bench_s3_server_round_trips_on_one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    connects = []
    real_connect = socket.socket.connect

    def counted(sock: socket.socket, address: Any) -> None:
        connects.append(address)
        real_connect(sock, address)

    endpoint, proc = start_moto()
    monkeypatch.setattr(socket.socket, "connect", counted)
    try:
        cfg = StoreSettings(
            backend="minio", endpoint=endpoint, access_key="bench", secret_key="bench",
            bucket="bench-bucket",
        )  # fmt: skip
        client = make_client(cfg)
        store = MinioStore(cfg, client)
        store.ensure_bucket()
        payloads = {f"a/{i}.jpg": bytes([i]) * (1000 + i) for i in range(5)}
        for key, data in payloads.items():
            store.put(key, data, content_type="image/jpeg")
        assert {key: store.get(key) for key in payloads} == payloads
        assert sorted(info.key for info in store.list("a/")) == sorted(payloads)
        # 12+ requests, one TCP connection: urllib3 reconnects its one pooled connection in
        # place when the server closes it, so the pool's own count could not tell.
        assert len(connects) == 1, connects
        # A body refused unread closes its connection (its rest must not be read as the
        # next reply); the next request connects again and reads its own object.
        with pytest.raises(EvidenceError, match="over the limit"):
            store.get("a/4.jpg", max_bytes=10)
        assert store.get("a/3.jpg") == payloads["a/3.jpg"]
        assert len(connects) == 2, connects
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_bench_s3_server_needs_a_port() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.bench.s3_server"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "--port" in run.stderr
