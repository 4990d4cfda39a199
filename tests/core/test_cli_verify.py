"""``inspectpipe verify``: JSON contract, exit codes, one readable error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.packages import make_package

CORE = ["--check", "decode", "--check", "completeness", "--check", "time_window"]


def test_json_contract(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_package(tmp_path, codes=["0111", "0112"])
    assert main(["verify", str(folder), "--json", *CORE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {
        "inspection_id",
        "station_id",
        "verdict",
        "findings",
        "pipeline_version",
        "elapsed_ms",
    }
    assert doc["verdict"] == "fail"  # K33 misses required codes
    f = next(f for f in doc["findings"] if f["outcome"] == "fail")
    assert set(f) >= {"file", "code", "check", "outcome", "reason", "detail"}


def test_jsonl_one_line_per_package(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_package(tmp_path, "a", seed=1)
    b = make_package(tmp_path, "b", seed=2, manifest_overrides={"inspection_id": "X2"})
    assert main(["verify", str(a), str(b), "--jsonl", *CORE]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(x)["inspection_id"] for x in lines] == ["370600202611230001", "X2"]


def test_bad_manifest_exit_1_and_rest_still_verified(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make_package(tmp_path, "bad")
    (bad / "manifest.json").write_text('{"schema": "inspection/1", "inspection_id": 5}')
    good = make_package(tmp_path, "good")
    before = sorted(p.name for p in bad.iterdir())
    assert main(["verify", str(bad), str(good), "--jsonl", *CORE]) == 1
    out = capsys.readouterr()
    err_lines = out.err.strip().splitlines()
    assert len(err_lines) == 1 and "inspection_id" in err_lines[0] and "bad" in err_lines[0]
    assert len(out.out.strip().splitlines()) == 1  # the good one still verified
    assert sorted(p.name for p in bad.iterdir()) == before  # nothing deleted


def test_truncated_file_exit_1_names_file(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_package(tmp_path)
    data = (folder / "0113.jpg").read_bytes()
    (folder / "0113.jpg").write_bytes(data[:3000])
    assert main(["verify", str(folder), *CORE]) == 1
    out = capsys.readouterr()
    assert "0113.jpg is a truncated JPEG file" in out.err
    assert "evidence_truncated" in out.out and "图片文件不完整" in out.out


def test_config_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[bus]\nbackend = 'kafka'\n")
    folder = make_package(tmp_path)
    assert main(["--config", str(cfg), "verify", str(folder)]) == 2
    assert "bus.backend" in capsys.readouterr().err


def test_missing_path_is_exit_1(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(tmp_path / "nope"), *CORE]) == 1
    assert "no manifest.json" in capsys.readouterr().err
