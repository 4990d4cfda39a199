"""``inspectpipe rubbing compare`` and ``inspectpipe reference`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.cli import main
from pipeline.cli.rubbing import ReferenceBands
from pipeline.errors import UsageError
from pipeline.vin.evalgen import make_pair, write_pairs

KEYS = {"verdict", "score", "vin_read", "suspect_positions", "reference", "candidate"}


@pytest.fixture
def pairs_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    items = [make_pair(k, "C", rng) for k in ("genuine", "lookalike", "genuine")]
    return write_pairs(tmp_path / "pairs", iter(items))


def test_compare_one_pair_json(pairs_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = pairs_csv.parent
    vin = pairs_csv.read_text().splitlines()[1].split(",")[2]
    overlay = folder / "overlay.jpg"
    ref, cand = str(folder / "p0000_ref.jpg"), str(folder / "p0000_cand.jpg")
    code = main(
        ["rubbing", "compare", ref, cand, "--vin", vin, "--json", "--overlay", str(overlay)]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= KEYS
    assert doc["verdict"] in {"match", "mismatch", "unreadable"} and 0 <= doc["score"] <= 1
    assert overlay.read_bytes()[:2] == b"\xff\xd8"


def test_compare_pairs_jsonl_in_order(pairs_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubbing", "compare", "--pairs", str(pairs_csv), "--jsonl", "--no-read"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [d["reference"] for d in lines] == ["p0000_ref.jpg", "p0001_ref.jpg", "p0002_ref.jpg"]
    assert all(set(d) >= KEYS for d in lines)


def test_pairs_sharing_a_reference_give_what_each_pair_gives_alone(
    pairs_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reference band is rectified and read once for the run; every line must be what
    # comparing that pair on its own prints (verdict, score, suspects, the VIN read).
    folder = pairs_csv.parent
    rows = [("p0000_ref.jpg", "p0000_cand.jpg"), ("p0000_ref.jpg", "p0002_cand.jpg")]
    rows.append(rows[0])
    shared = folder / "shared.csv"
    shared.write_text("reference,candidate,vin\n" + "".join(f"{r},{c},\n" for r, c in rows))
    assert main(["rubbing", "compare", "--pairs", str(shared), "--jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    alone = []
    for ref, cand in rows:
        assert main(["rubbing", "compare", str(folder / ref), str(folder / cand), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        doc.update(reference=ref, candidate=cand)
        alone.append(doc)
    assert lines == alone
    assert lines[0]["verdict"] == "match" and lines[0]["vin_read"]


def test_reference_bands_are_kept_until_the_file_changes(pairs_csv: Path) -> None:
    folder = pairs_csv.parent
    bands = ReferenceBands(size=1)
    ref = folder / "p0000_ref.jpg"
    first = bands.get(ref)
    assert first is not None and first.complete
    assert bands.get(ref) is first
    ref.write_bytes((folder / "p0001_ref.jpg").read_bytes())  # another photo, same name
    second = bands.get(ref)
    assert second is not first and second is not None
    assert bands.get(folder / "p0002_ref.jpg") is not second
    assert bands.get(ref) is not second  # size 1: the other reference pushed it out
    with pytest.raises(UsageError, match="no such file"):
        bands.get(folder / "missing.jpg")


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubbing", "compare", str(tmp_path / "a.jpg")]) == 2
    assert main(["rubbing", "compare", "a.jpg", "b.jpg", "--vin", "NOTAVIN"]) == 2
    assert "not a VIN" in capsys.readouterr().err


def test_reference_enroll_and_import(
    pairs_csv: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = pairs_csv.parent
    vin = pairs_csv.read_text().splitlines()[1].split(",")[2]
    assert main(["reference", "enroll", vin, str(folder / "p0000_ref.jpg")]) == 0
    batch = folder / "batch"
    batch.mkdir()
    (batch / f"{vin}.jpg").write_bytes((folder / "p0002_ref.jpg").read_bytes())
    (batch / "notavin.jpg").write_bytes(b"x")
    assert main(["reference", "import", str(batch)]) == 1  # one file name is not a VIN
    assert "imported 1, skipped 1" in capsys.readouterr().out


def test_bench_rubbing_times_the_pair_and_the_pair_with_its_reference_prepared(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "rubbing", "--pairs", "4", "--styles", "B", "--seed", "4242"]) == 0
    out = capsys.readouterr().out
    assert "style B (seed 4242, a tuning seed), 4 pairs" in out
    full = float(out.split("seconds per pair")[1].split("wall,")[1].split()[0])
    prepared = float(out.split("reference prepared")[1].split()[0])
    # The reference's decoding and rectification are taken out, so a share of the time goes.
    assert 0 < prepared < full


def test_bench_rubbing_scores_every_kind_of_the_samplegen_renderer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["bench", "rubbing", "--pairs", "1", "--styles", "B", "--samplegen", "10"]
    assert main([*args, "--seed", "4242"]) == 0
    out = capsys.readouterr().out.split("samplegen renderer")[1]
    assert "10 pairs: strict" in out
    flagged = int(out.split("genuine flagged ")[1].split("/")[0])
    assert out.split("genuine flagged ")[1].split()[0] == f"{flagged}/5"
    # Even pairs genuine, odd ones each tampered kind in turn: die re-punches 1 and 9.
    for kind, n in (("die_restamp", 2), ("lookalike", 1), ("hand_restamp", 1), ("clone", 1)):
        found = out.split(f"{kind} ")[1].split()
        assert found[0] == "detected" and found[1].endswith(f"/{n}")
