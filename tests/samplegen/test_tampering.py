"""Tampered rubbings from the samplegen renderer: each kind changes what it says and only
there, and a seed gives the same pairs."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.samplegen import DieStyle, render_die_mask
from pipeline.samplegen.tampering import LOOKALIKES, VISIBLE, _ink_difference, pairs, tampered
from pipeline.vin.evalgen import KINDS
from pipeline.vin.rubbing import decode

VIN = "LSVAM4187C2184847"


def _changed_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Columns of two depth masks of one size where they differ clearly."""
    return np.nonzero(np.abs(a - b).max(axis=0) > 0.2)[0]


def _cell(die: DieStyle, i: int) -> tuple[float, float]:
    """The columns a position's glyph may reach, with its hand offset."""
    start = die.height_px // 2 + i * die.advance()
    return start - 0.5 * die.advance(), start + 1.5 * die.advance()


@pytest.mark.parametrize("kind", ["die_restamp", "lookalike", "hand_restamp"])
def test_a_local_tampering_changes_its_positions_and_only_them(kind: str) -> None:
    for seed in range(6):
        rng = np.random.default_rng(seed)
        die = DieStyle.random(rng)
        text, other, positions = tampered(kind, VIN, die, rng)
        assert positions and all(0 <= i < 17 for i in positions)
        a, b = render_die_mask(VIN, die), render_die_mask(text, other)
        assert a.shape == b.shape
        cols = _changed_columns(a, b)
        assert len(cols), (kind, seed)
        cells = [_cell(die, i) for i in positions]
        assert all(any(lo <= c <= hi for lo, hi in cells) for c in cols), (kind, seed)
        if kind == "die_restamp":  # another set, drawing the characters visibly otherwise
            assert {f for _, f in other.overrides} and die.face not in {
                f for _, f in other.overrides
            }
            assert _ink_difference(VIN, positions, die, other) >= VISIBLE
        if kind == "lookalike":
            (i,) = positions
            assert VIN[i] in LOOKALIKES and i != 8
            if text != VIN:  # ground off and punched as the other character
                assert text[i] == LOOKALIKES[VIN[i]] and text[:i] + text[i + 1 :] == (
                    VIN[:i] + VIN[i + 1 :]
                )
            else:  # the other character punched over it: ink only added
                assert other.additions == ((i, LOOKALIKES[VIN[i]]),)
                assert (b >= a - 1e-6).all()


def test_a_clone_is_another_set_and_genuine_is_the_same_stamping() -> None:
    rng = np.random.default_rng(5)
    die = DieStyle.random(rng)
    text, same, positions = tampered("genuine", VIN, die, rng)
    assert (text, same, positions) == (VIN, die, ())
    text, clone, positions = tampered("clone", VIN, die, rng)
    assert text == VIN and positions == tuple(range(17)) and clone.face != die.face


def test_pairs_are_seeded_and_cover_every_kind() -> None:
    first = list(pairs(10, 7))
    again = list(pairs(10, 7))
    assert [p.candidate for p in first] == [p.candidate for p in again]
    assert [p.kind for p in first][:2] == ["genuine", "die_restamp"]
    assert {p.kind for p in first} == set(KINDS)
    for p in first:
        ref, cand = decode(p.reference), decode(p.candidate)
        assert ref is not None and cand is not None
        assert p.tampered == bool(p.positions)
    with pytest.raises(ValueError, match="unknown kind"):
        tampered(
            "smudged", VIN, DieStyle.random(np.random.default_rng(1)), np.random.default_rng(1)
        )
