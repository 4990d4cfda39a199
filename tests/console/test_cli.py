"""``inspectpipe users ...`` and ``inspectpipe review serve`` as an operator runs them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipeline.auth import authenticate
from pipeline.cli import main
from pipeline.config import load_settings
from pipeline.db import audit, open_database
from tests.conftest import PROJECT, free_port


def _run(argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(argv)


def test_users_add_passwd_disable(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["users", "add", "ann", "--role", "supervisor", "--password-stdin"]
    assert _run(add, "first good password\n", monkeypatch) == 0
    assert _run(add, "first good password\n", monkeypatch) == 1  # exists
    assert "already exists" in capsys.readouterr().err
    assert _run(["users", "add", "bob", "--password-stdin"], "short\n", monkeypatch) == 2
    passwd = ["users", "passwd", "ann", "--password-stdin"]
    assert _run(passwd, "second good password\n", monkeypatch) == 0
    assert main(["users", "disable", "ann"]) == 0
    assert main(["users", "list"]) == 0
    assert "ann                     supervisor  disabled" in capsys.readouterr().out
    with open_database(load_settings()) as db:
        assert authenticate(db, "ann", "second good password") is None  # disabled
        assert main(["users", "enable", "ann"]) == 0
        assert authenticate(db, "ann", "first good password") is None
        assert authenticate(db, "ann", "second good password") is not None
        actions = [e.action for e in audit.entries(db, "user", "ann")]
    assert actions == ["user.added", "user.password_changed", "user.disabled", "user.enabled"]


def test_review_serve_answers(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(["users", "add", "ann", "--password-stdin"], "a good password\n", monkeypatch) == 0
    port = free_port()
    env = {**os.environ, "INSPECTPIPE_HOME": str(home), "INSPECTPIPE_CONSOLE_SECRET": "s3cret"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "review", "serve", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"console did not start: {proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.2)
        assert "Sign in" in httpx.get(base + "/login").text
        session = httpx.post(
            base + "/api/session", json={"username": "ann", "password": "a good password"}
        )
        assert session.status_code == 200
        items = httpx.get(
            base + "/api/items", headers={"Authorization": f"Bearer {session.json()['token']}"}
        )
        assert items.json()["items"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=20)
