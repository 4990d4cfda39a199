"""Offline re-decisions of captured measurements give the comparison's own verdicts."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.bench.rubbing import DISTURB_STREAM, candidate_photo
from pipeline.vin import glyphnet, offline
from pipeline.vin.compare import ROW_NOTES, Thresholds
from pipeline.vin.evalgen import pairs
from pipeline.vin.rubbing import compare_images, decode


def test_replayed_verdicts_are_the_comparisons() -> None:
    records = offline.capture([4242], 3)
    assert [r["style"] for r in records] == list("AAABBBCCCDDD")
    t = Thresholds()
    for k, style in enumerate("ABCD"):
        for i, pair in enumerate(pairs(3, style, 4242 + k)):
            rec = records[3 * k + i]
            assert rec["kind"] == pair.kind and rec["vin"] == pair.vin
            direct = compare_images(decode(pair.reference), decode(pair.candidate), overlay=False)
            replayed = offline.replay(rec, t)
            assert replayed.verdict == direct.verdict
            assert replayed.suspects == direct.comparison.suspects
            assert replayed == direct.comparison  # scores, glyph evidence and notes as well


def test_replayed_verdicts_with_the_other_stampings_are_the_comparisons() -> None:
    """``capture --across`` keeps what ``compare_bands`` measures with the registered VIN
    (each suspect-looking glyph against the reference's other stampings of its character),
    and the replay decides as the comparison does."""
    records = offline.capture([4242], 4, across=True)
    assert any(r.get("across") for r in records)
    t = Thresholds()
    for k, style in enumerate("ABCD"):
        for i, pair in enumerate(pairs(4, style, 4242 + k)):
            rec = records[4 * k + i]
            direct = compare_images(
                decode(pair.reference), decode(pair.candidate), overlay=False, vin=pair.vin
            )
            assert offline.replay(rec, t) == direct.comparison


def test_capture_and_decide_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cap.json.gz"
    assert offline.main(["capture", str(out), "--seeds", "909", "--pairs", "2"]) == 0
    assert offline.main(["decide", str(out)]) == 0
    assert (
        offline.main(["decide", str(out), "--set", "glyph_limit=1000", "--set", "clone_limit=1000"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("8 pairs")
    assert "right" in lines[1] and "genuine flagged" in lines[1]
    # Limits nobody reaches: every genuine pair matches, no tampered one is found.
    assert "genuine flagged 0/" in lines[2]
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        records = json.load(fh)
    blind = Thresholds(glyph_limit=1000.0, clone_limit=1000.0)
    for kind, (right, total) in offline.tally(records, blind).items():
        assert right == (total if kind == "genuine" else 0)
    with pytest.raises(SystemExit, match="no 'nonsense'"):
        offline.main(["decide", str(out), "--set", "nonsense=1"])


def test_kept_windows_rescored_with_the_model_in_use_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cap.json.gz"
    assert offline.main(["capture", str(out), "--seeds", "1234", "--pairs", "2", "--windows"]) == 0
    assert offline.windows_path(out).exists()
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        records = json.load(fh)
    kept = copy.deepcopy(records)
    offline.rescore(records, out, [glyphnet.MODEL])
    for before, after in zip(kept, records, strict=True):
        if "raw" in before:
            for g0, g1 in zip(before["raw"], after["raw"], strict=True):
                # The windows are kept as float16: logits move in the third decimal.
                assert g1["design"] == pytest.approx(g0["design"], abs=0.02)
    assert offline.main(["decide", str(out)]) == 0
    assert offline.main(["decide", str(out), "--model", str(glyphnet.MODEL)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == lines[-2]
    bare = tmp_path / "bare.json.gz"
    assert offline.main(["capture", str(bare), "--seeds", "1234", "--pairs", "1"]) == 0
    with pytest.raises(SystemExit, match="capture with --windows"):
        offline.main(["decide", str(bare), "--model", str(glyphnet.MODEL)])


def test_keystoned_and_turned_captures_are_the_benchs_candidates() -> None:
    records = offline.capture([2718], 1, keystone=0.1, turn=90.0)
    t = Thresholds()
    for k, style in enumerate("ABCD"):
        seed = 2718 + k
        pair = next(iter(pairs(1, style, seed)))
        disturbing = np.random.default_rng([seed, DISTURB_STREAM])
        photo = candidate_photo(pair.candidate, disturbing, None, 0.1, 90.0)
        assert photo != pair.candidate
        direct = compare_images(decode(pair.reference), decode(photo), overlay=False)
        assert offline.replay(records[k], t) == direct.comparison


def test_a_row_taken_from_its_other_end_is_replayed_as_compared() -> None:
    """Genuine pair 34 of style A on seed 7001 (``tests/vin/data/band_edge_*.jpg``): the
    capture keeps the candidate's row taken from its other end, and the replay takes it
    as ``compare_bands`` does."""
    records = offline._capture_group(offline.Job(7001, "A", 35, across=True))
    rec = records[34]
    # The candidate's other end first; the other polarities and the boxes placed by the
    # strokes after it (``compare.other_rows``).
    assert rec["raw_ends"][0][0] == "candidate"
    assert {which for which, _ in rec["raw_ends"]} <= set(ROW_NOTES)
    disturbing = np.random.default_rng([7001, DISTURB_STREAM])
    photos = [(p, candidate_photo(p.candidate, disturbing)) for p in pairs(35, "A", 7001)]
    pair, photo = photos[34]
    replayed = offline.replay(rec, Thresholds())
    assert replayed.verdict == "match" and replayed.row == "candidate"
    assert (
        replayed
        == compare_images(
            decode(pair.reference), decode(photo), vin=pair.vin, overlay=False
        ).comparison
    )
    # Pairs whose glyphs mostly agree keep no other rows.
    assert sum("raw_ends" in r for r in records) < len(records) // 2
