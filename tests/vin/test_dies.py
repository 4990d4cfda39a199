"""The evaluation generator's re-punch dies differ visibly from the die they replace."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from pipeline.vin import dies
from pipeline.vin.dies import VISIBLE, Die, ink_difference, other_die, random_die


def test_open_cv_thickness_above_one_renders_alike() -> None:
    # Why other_die checks what it made: OpenCV 5 draws every putText thickness from 2 up
    # the same, so a "heavier" Hershey die of the old generator left no trace at all.
    die = Die("hershey", str(cv2.FONT_HERSHEY_SIMPLEX), height=48, weight=3.0)
    assert ink_difference(die, replace(die, weight=7.0)) == 0.0
    assert ink_difference(die, replace(die, aspect=die.aspect * 0.75)) >= VISIBLE


def test_pitch_alone_is_no_glyph_difference() -> None:
    die = Die("truetype", dies.truetype_fonts()[0], height=48, weight=1.0)
    # The pitch is the layout's, not the glyph's.
    assert ink_difference(die, replace(die, pitch=die.pitch * 1.1)) == 0.0


@pytest.mark.parametrize("family", ["hershey", "truetype", "strokes"])
def test_every_re_punch_die_differs_visibly(family: str) -> None:
    rng = np.random.default_rng(303)
    for _ in range(25):
        die = random_die(rng, family, height=int(rng.integers(40, 64)))
        other = other_die(die, rng)
        assert ink_difference(die, other) >= VISIBLE, (die, other)


def test_a_replaced_choice_draws_nothing_more() -> None:
    # The fallback variants are fixed, so a seed's later pairs are the pairs they were.
    die = Die("hershey", str(cv2.FONT_HERSHEY_SIMPLEX), height=48, weight=3.0)
    replaced = 0
    for seed in range(40):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        chosen = dies._random_other(die, a)
        other_die(die, b)
        replaced += ink_difference(die, chosen) < VISIBLE
        assert a.random() == b.random()
    assert replaced > 0  # the case the fallback exists for did occur
