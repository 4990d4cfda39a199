"""The load bench's S3 endpoint (moto's S3 on keep-alive HTTP/1.1) serves the pipeline's store."""

from __future__ import annotations

import subprocess
import sys

from pipeline.bench.pipeline_rig import start_moto
from pipeline.config import StoreSettings
from pipeline.storage.minio import MinioStore, make_client


def test_bench_s3_server_round_trips_on_one_connection() -> None:
    endpoint, proc = start_moto()
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
        pools = list(client._http.pools._container.values())  # type: ignore[attr-defined]
        assert [p.num_connections for p in pools] == [1]  # 12+ requests, one connection
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_bench_s3_server_needs_a_port() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.bench.s3_server"], capture_output=True, text=True
    )
    assert run.returncode == 2 and "--port" in run.stderr
