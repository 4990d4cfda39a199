"""``inspectpipe db upgrade|current`` and ``inspectpipe registry import`` through ``main``."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline.cli as cli
from pipeline.db.migrate import head_revision


@pytest.fixture
def only_db_commands(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    # Other command modules are not needed here; main() and the parser are the real ones.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["pipeline.cli.db"])
    monkeypatch.delenv("INSPECTPIPE_CONFIG", raising=False)


@pytest.mark.usefixtures("only_db_commands")
def test_current_upgrade_current(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    assert cli.main(["db", "current"]) == 1
    head = head_revision()
    assert f"empty (behind; head is {head})" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert f"empty -> {head}" in capsys.readouterr().out
    assert cli.main(["db", "current"]) == 0
    assert f"{head} (head)" in capsys.readouterr().out
    assert (home / "inspectpipe.db").exists()


@pytest.mark.usefixtures("only_db_commands")
def test_registry_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(
        "vin,plate,plate_type,vehicle_type,use,registered_on\n"
        "LSVAM4187C2184847,鲁F12345,02,K33,A,2019-05-01\n"
        "LSVAM4187C218484,鲁F1,02,K33,A,yesterday\n",
        encoding="utf-8",
    )
    assert cli.main(["registry", "import", str(csv)]) == 1
    out, err = capsys.readouterr()
    assert "imported 1 vehicle(s), 1 bad row(s)" in out
    assert "line 3: registered_on 'yesterday'" in err
    csv.write_text(csv.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert cli.main(["registry", "import", str(csv)]) == 0


@pytest.mark.usefixtures("only_db_commands")
def test_unreachable_database_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import free_port

    url = f"postgresql://postgres:pw@127.0.0.1:{free_port()}/x"
    monkeypatch.setenv("INSPECTPIPE_DATABASE_URL", url)
    assert cli.main(["db", "current"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("inspectpipe: database") and "\n" not in err and ":pw@" not in err
