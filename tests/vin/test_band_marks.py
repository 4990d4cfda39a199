"""A VIN punched between delimiter marks (★LSV...★, as some makers stamp it): the marks are
not glyphs, so the band is the 17 glyphs between them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pipeline.vin import band as band_module
from pipeline.vin.band import rectify
from pipeline.vin.compare import compare_bands
from pipeline.vin.dies import MARKS, Die, layout, stamp_vin
from pipeline.vin.evalgen import pairs
from pipeline.vin.texture import photograph, rub

VIN = "LSVAM4187C2184847"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _photo(die: Die, mark: str, seed: int, places_seed: int = 0) -> np.ndarray:
    """A pencil rubbing photo of one stamping (``places_seed``), a new rubbing per ``seed``."""
    n = len(VIN) + (2 if mark else 0)
    mask = stamp_vin(die, VIN, layout(die, n, np.random.default_rng(places_seed)), mark)
    rng = np.random.default_rng(seed)
    return photograph(rub(mask, "pencil", rng), rng, damage=False)


@pytest.mark.parametrize("mark", MARKS)
def test_marks_are_not_glyphs_and_a_genuine_pair_matches(mark: str) -> None:
    die = Die("truetype", SANS, height=48, weight=1.0)
    plain = rectify(_photo(die, "", seed=1))
    ref, cand = rectify(_photo(die, mark, seed=2)), rectify(_photo(die, mark, seed=3))
    assert plain is not None and ref is not None and cand is not None
    assert ref.complete and cand.complete

    # The 17 boxes span the glyphs only: the row is as long (in pitches) as without marks.
    def span(b: band_module.Band) -> float:
        pitch = (b.boxes[-1][0] - b.boxes[0][0]) / 16
        return (b.boxes[-1][0] + b.boxes[-1][2] - b.boxes[0][0]) / pitch

    assert span(ref) == pytest.approx(span(plain), abs=0.3)
    result = compare_bands(ref, cand)
    assert result.verdict == "match", result.note


def test_a_restamped_glyph_between_marks_is_found() -> None:
    # Seed 2 of the generator's pairs with every VIN between marks: a tampered kind per
    # pair, compared as the bench does; the marked pairs are no easier or harder to judge
    # than the others once the marks are set aside.
    from pipeline.vin.rubbing import compare_images, decode

    judged = []
    for pair in pairs(8, "B", seed=2, marks=1.0):
        assert pair.mark in MARKS
        result = compare_images(decode(pair.reference), decode(pair.candidate), overlay=False)
        judged.append((pair.kind, result.verdict))
    genuine = [v for k, v in judged if k == "genuine"]
    tampered = [v for k, v in judged if k != "genuine"]
    assert genuine and tampered
    assert all(v == "match" for v in genuine), judged
    assert all(v == "mismatch" for v in tampered), judged


def test_star_and_asterisk_look_like_marks_and_glyphs_do_not() -> None:
    die = Die("truetype", SANS, height=48, weight=1.0)
    row = "★0*8X☆"
    mask = stamp_vin(die, row, layout(die, len(row), np.random.default_rng(0)))
    binary = (mask > 0.5).astype(np.int32)
    from pipeline.vin.band import _components, _mark_likeness

    labels, boxes = _components(binary.astype(np.uint8))
    assert len(boxes) == len(row)
    score = {ch: _mark_likeness(labels, b) for ch, b in zip(row, boxes, strict=True)}
    glyphs = max(score["0"], score["8"], score["X"])
    assert min(score["★"], score["☆"], score["*"]) > glyphs, score


def test_pairs_without_marks_are_unchanged_by_the_marks_share() -> None:
    plain = list(pairs(6, "AB", seed=303))
    mixed = list(pairs(6, "AB", seed=303, marks=0.5))
    assert any(p.mark for p in mixed) and not all(p.mark for p in mixed)
    for a, b in zip(plain, mixed, strict=True):
        assert a.kind == b.kind
        if not b.mark:
            assert (a.reference, a.candidate) == (b.reference, b.candidate)


def test_evalgen_writes_the_same_unmarked_pairs_with_marks(tmp_path: Path) -> None:
    from pipeline.vin.evalgen import main

    args = ["--pairs", "6", "--styles", "AB", "--seed", "303", "--max-width", "400"]
    assert main([str(tmp_path / "plain"), *args]) == 0
    assert main([str(tmp_path / "mixed"), *args, "--marks", "0.5"]) == 0
    with (tmp_path / "mixed" / "truth.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["mark"] for r in rows) and not all(r["mark"] for r in rows)
    for r in rows:
        if not r["mark"]:
            for name in (r["reference"], r["candidate"]):
                plain = (tmp_path / "plain" / name).read_bytes()
                assert (tmp_path / "mixed" / name).read_bytes() == plain
