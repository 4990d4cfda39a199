"""``inspectpipe stations ...`` and ``inspectpipe upload --server URL`` against a real HTTP
server (uvicorn on loopback) in front of the moto S3 server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from pipeline.bus.base import Q_VERIFY
from pipeline.cli import main
from pipeline.layout import address_for
from pipeline.services import Services
from pipeline.stations.api import create_station_app
from tests.conftest import free_port
from tests.packages import make_package
from tests.stations.conftest import STATION_A, s3_env

pytestmark = pytest.mark.s3


@pytest.fixture
def server(services: Services) -> Iterator[str]:
    """The station API served by uvicorn on a free port; its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_station_app(services), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_stations_commands_and_upload_through_the_server(
    services: Services,
    server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = services.settings
    env = s3_env(Path(s.home), s.store.endpoint, s.store.bucket)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert main(["stations", "add", STATION_A, "--name", "济南一站"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("ipk_")
    assert main(["stations", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["station_id"] == STATION_A and listed[0]["state"] == "active"
    assert key not in json.dumps(listed)

    assert main(["stations", "policy", STATION_A]) == 0
    policy = json.loads(capsys.readouterr().out)
    assert f"arn:aws:s3:::{s.store.bucket}/{STATION_A}/*" in json.dumps(policy)

    folder = make_package(tmp_path, codes=["0111", "J"], frames={"0344": 2})
    assert main(["upload", "--server", server, "--key", key, str(folder)]) == 0
    out = capsys.readouterr().out
    assert "4 files" in out and "event published" in out and "X-Amz" not in out
    assert services.store.exists(address_for(STATION_A, "370600202611230001", 1).manifest_key)
    assert services.bus.queue_depth(Q_VERIFY) == 1

    # Again: refused (completed inspections are never overwritten), exit code 1.
    monkeypatch.setenv("INSPECTPIPE_STATION_KEY", key)
    assert main(["upload", "--server", server, str(folder)]) == 1
    assert "cannot be overwritten" in capsys.readouterr().err

    assert main(["stations", "revoke", STATION_A]) == 0
    capsys.readouterr()
    other = make_package(tmp_path, "other", manifest_overrides={"inspection_id": "X2"})
    assert main(["upload", "--server", server, str(other)]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and key not in err

    assert main(["stations", "rotate", STATION_A]) == 0
    assert capsys.readouterr().out.strip().startswith("ipk_")
    assert main(["upload", str(other), "--key", key]) == 2  # --key without --server
