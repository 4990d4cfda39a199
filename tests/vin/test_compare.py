"""The decision rules of the rubbing comparison on measurements with known answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
import pytest

from pipeline.vin import compare
from pipeline.vin.compare import CLONE_NOTE, Thresholds, _detrend, _solved, decide
from pipeline.vin.glyphs import (
    ANGLES,
    CUT_SLOPES,
    _climb,
    _crop,
    _cut_profiles,
    _local_contrast,
    _match_glyph,
    _pieces,
    _rotated,
    _rotations,
    _subpixel,
    _warp_corner,
    rotation_drop,
    width_search,
)


def _raw(n: int = 17, **over: dict[int, float]) -> list[dict[str, float]]:
    """Measurements of a clean genuine band, with per-glyph overrides {name: {index: value}}."""
    rows = []
    for i in range(n):
        g = {
            "edge": 0.03, "ncc": 0.98, "ncc0": 0.98, "ink": 0.05, "extra": 0.1,
            "missing": 0.1, "dx": 0.0, "dy": 0.0, "angle": 0.0, "rot_drop": 0.05,
            "xscale": 0.0, "ncc_x": 0.98, "r_area": 400.0, "c_area": 400.0,
            "r_w": 30.0, "c_w": 30.0, "r_h": 48.0, "c_h": 48.0, "x": 20.0 + 40.0 * i,
            "design": -6.0, "sealed": 0.0,
        }  # fmt: skip
        for name, values in over.items():
            g[name] = values.get(i, g[name])
        rows.append(g)
    return rows


def test_subpixel_finds_a_fractional_peak() -> None:
    xs, ys = np.meshgrid(np.arange(9.0), np.arange(7.0))
    res = (1.0 - 0.05 * ((xs - 4.3) ** 2 + (ys - 2.8) ** 2)).astype(np.float32)
    x, y = _subpixel(res, (4, 3))
    assert x == pytest.approx(4.3, abs=0.05) and y == pytest.approx(2.8, abs=0.05)


ROW = np.arange(17) * 40.0  # glyph centres of a 17-glyph row, 40 px apart


def _outlier_and_rest(v: np.ndarray, at: int, floor: float = float("inf")) -> tuple[float, float]:
    """|residual| of glyph ``at`` and the largest |residual| of the others after detrending."""
    res = _detrend(v, ROW, floor)
    return abs(float(res[at])), float(np.abs(np.delete(res, at)).max())


def test_detrend_removes_a_band_scale_error_but_keeps_an_outlier() -> None:
    v = 0.001 * ROW - 0.2  # a slightly wrong scale: grows towards the ends
    v[5] += 3.0
    outlier, rest = _outlier_and_rest(v, 5)
    assert outlier > 2.5
    assert rest < 0.05


def test_identical_bands_match() -> None:
    c = decide(_raw(), Thresholds())
    assert c.verdict == "match" and not c.suspects and c.score > 0.9


def test_a_shifted_glyph_is_suspect_for_its_shift() -> None:
    c = decide(_raw(dx={7: 0.2 * 48}), Thresholds())
    assert c.verdict == "mismatch" and c.suspects == (7,)
    assert c.glyphs[7].why == "shift"


def test_moderate_evidence_on_two_measurements_adds_up() -> None:
    t = Thresholds()
    v = 0.5 + 0.8 * t.glyph_limit  # in scales: 0.8 of the limit above the free half scale
    edge, shape = t.edge * t.hand_made, t.shape * t.hand_made  # the scales as counted
    one = decide(_raw(edge={3: 0.03 + v * edge}), t)
    two = decide(_raw(edge={3: 0.03 + v * edge}, ncc={3: 0.98 - v * shape}), t)
    assert one.verdict == "match"
    assert two.verdict == "mismatch" and two.suspects == (3,)


def test_every_glyph_different_is_a_clone() -> None:
    every = range(17)
    shapes = {"ncc": {i: 0.85 for i in every}, "edge": {i: 0.25 for i in every}}
    # The network reads the glyphs as the reference die's no more firmly than genuine bands'
    # 99th percentile: the shape and outline terms count fully.
    t = Thresholds()
    c = decide(_raw(**shapes, design={i: t.clone_design_onset for i in every}), t)
    assert c.verdict == "mismatch" and len(c.suspects) == 17
    assert "another die set" in c.note


def test_a_band_wide_shape_difference_the_network_reads_as_one_die_is_not_a_clone() -> None:
    """A textured film with thin strokes lowers every glyph's correlation; the network still
    reads every glyph as the reference die's (``Thresholds.clone_same_die``)."""
    every = range(17)
    shapes = {"ncc": {i: 0.85 for i in every}, "edge": {i: 0.25 for i in every}}
    t = Thresholds()
    firm = t.clone_design_onset - t.clone_same_die  # the shape terms faded out fully
    assert decide(_raw(**shapes, design={i: firm for i in every}), t).verdict == "match"
    always = replace(t, clone_same_die=0.0)
    assert decide(_raw(**shapes, design={i: firm for i in every}), always).note == CLONE_NOTE


def _offsets(dx: np.ndarray, dy: np.ndarray) -> list[dict[str, float]]:
    """A clean band whose glyphs are displaced by (dx, dy) glyph heights."""
    h = compare.GLYPH_H
    return _raw(dx={i: h * v for i, v in enumerate(dx)}, dy={i: h * v for i, v in enumerate(dy)})


def test_waves_of_a_film_are_not_another_stamping_but_jitter_is() -> None:
    # Waves 6 pitches long, 0.04 glyph heights high, that the local fits cannot follow: the
    # band median of what is left is over twice the clone-layout scale, as is the jitter of
    # glyphs punched one by one (0.02 glyph heights, each on its own). Neighbours in the
    # wave move together; the jitter's do not. (On layout alone, with no glyph-pair logits,
    # a clone takes a median of 0.5 + clone_limit = 1.8 scales.)
    wave = 0.04 * np.sin(2 * np.pi * np.arange(17) / 6 + 0.4)
    jitter = np.random.default_rng(7).normal(0.0, 0.02, (2, 17))
    t = Thresholds()
    for raw in (_offsets(np.zeros(17), wave), _offsets(*jitter)):
        assert np.median(compare._features(raw, t)["shift"]) > 2.0 * t.clone_layout
    assert decide(_offsets(np.zeros(17), wave), t).verdict == "match"
    cloned = decide(_offsets(*jitter), t)
    assert cloned.verdict == "mismatch" and "another die set" in cloned.note
    # Without the fade, the waves were taken for another stamping.
    flat = replace(t, wave_span=1e9)
    assert "another die set" in decide(_offsets(np.zeros(17), wave), flat).note


def test_a_wavy_film_widens_the_shift_scale_but_a_restamp_still_stands_out() -> None:
    # Waves 0.05 glyph heights high, 6 pitches long: what the local fits leave of them put four
    # genuine glyphs over the limit at the flat film's scale. Neighbours move together (lag-1
    # autocorrelation 0.37), so the scale widens (1.5x); a glyph restamped 0.1 glyph heights
    # off on the same film still stands out.
    wave = 0.05 * np.sin(2 * np.pi * np.arange(17) / 6 + 0.4)
    t = Thresholds()
    # (Without the band's own loosening too, which would also absorb part of the waves.)
    flat = replace(t, wave_shift_gain=0.0, noisy_ceiling=1.0)
    assert len(decide(_offsets(np.zeros(17), wave), flat).suspects) >= 3
    assert decide(_offsets(np.zeros(17), wave), t).verdict == "match"
    restamped = wave.copy()
    restamped[8] += 0.1
    c = decide(_offsets(np.zeros(17), restamped), t)
    assert c.suspects == (8,) and c.glyphs[8].why == "shift"


def _glyph(ch: str, stretch: float = 1.0, thick: int = 4) -> np.ndarray:
    """A 48-px Hershey glyph as a float stroke map on a 70 x 70 canvas (optionally narrower)."""
    img = np.zeros((70, 70), np.uint8)
    cv2.putText(img, ch, (17, 59), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 255, thick, cv2.LINE_AA)
    out: np.ndarray = img.astype(np.float32) / 255.0
    if stretch != 1.0:
        m = np.array([[stretch, 0.0, (1 - stretch) * 35], [0.0, 1.0, 0.0]], np.float32)
        out = cv2.warpAffine(out, m, (70, 70), flags=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(out, (0, 0), 1.0)


def test_width_search_measures_a_narrower_die() -> None:
    ref = _glyph("H")
    tmpl = ref[6:64, 6:64]
    for k in (0.85, 1.0, 1.2):
        got, _ = width_search(tmpl, _glyph("H", stretch=k), 0.0)
        assert got == pytest.approx(np.log(k), abs=0.04)


def test_pieces_see_an_added_bar_but_not_a_heavier_stroke() -> None:
    three, eight = _glyph("3"), _glyph("8")
    heavier = _glyph("3", thick=5)
    added, _ = _pieces(three, np.maximum(three, eight))
    weight, _ = _pieces(three, heavier)
    assert added > 0.3 and weight < 0.1
    _, gone = _pieces(np.maximum(three, eight), three)
    assert gone > 0.3


def test_rotation_drop_is_small_for_a_ring_and_large_for_an_L() -> None:
    ring = np.zeros((60, 50), np.float32)
    cv2.ellipse(ring, (25, 30), (16, 22), 0, 0, 360, 1.0, 4)
    assert rotation_drop(cv2.GaussianBlur(ring, (0, 0), 1.0)) < rotation_drop(_glyph("L")) / 2


def test_local_contrast_evens_out_a_faded_half() -> None:
    g = _glyph("M")
    faded = g.copy()
    faded[:, 35:] *= 0.6
    out = _local_contrast(faded)
    assert out[:, :35].max() == pytest.approx(out[:, 35:].max(), abs=0.1)
    assert _local_contrast(np.full((40, 40), 0.1, np.float32)).max() < 0.2  # texture stays low


def _inside_and_ends(v: np.ndarray, at: int, floor: float = float("inf")) -> tuple[float, float]:
    """The largest |residual| of the glyphs other than ``at`` inside the row and at its ends:
    a local line predicts the end glyphs, which follows a bend there only in part."""
    res = np.abs(_detrend(v, ROW, floor))
    return float(np.delete(res, [0, at, 16]).max()), float(res[[0, 16]].max())


def test_detrend_takes_out_a_bend_but_keeps_an_outlier() -> None:
    v = 2e-6 * (ROW - 300.0) ** 2 - 0.1  # perspective left by the band fit: a gentle bend
    v[9] += 1.0
    outlier = _outlier_and_rest(v, 9)[0]
    assert outlier > 0.9
    inside, ends = _inside_and_ends(v, 9)
    assert inside < 0.02 and ends < 0.035  # the bend: 0.18 glyph heights at one end


def test_detrend_follows_a_wrinkled_film_but_keeps_an_outlier() -> None:
    # A film that does not lie flat moves its glyphs up and down in waves: here one wave
    # along the row (16 glyph pitches), 0.06 glyph heights high. A single quadratic through
    # the band left residuals of up to 0.042 glyph heights on genuine glyphs (two shift
    # scales); the local prediction leaves 0.012 inside the row and 0.033 at its ends, where
    # lines predict.
    v = 0.06 * np.sin(2 * np.pi * ROW / 640.0 + 0.7)
    v[8] += 0.15
    outlier = _outlier_and_rest(v, 8)[0]
    assert outlier > 0.13
    inside, ends = _inside_and_ends(v, 8)
    assert inside < 0.02 and ends < 0.035


def test_detrend_follows_shorter_waves_with_the_narrower_fit() -> None:
    # Waves of ten glyph pitches: the 3-pitch fit leaves 0.033 glyph heights on genuine
    # glyphs inside the row (0.039 at its ends), the 2-pitch fit (taken because it explains
    # the row much better, by more than the noise floor of a quarter of the shift scale)
    # 0.021.
    v = 0.05 * np.sin(2 * np.pi * ROW / 400.0 + 0.7)
    v[8] += 0.15
    floor = compare.WAVY_FLOOR * Thresholds().shift
    outlier, rest = _outlier_and_rest(v, 8, floor)
    assert outlier > 0.1
    assert rest < 0.03
    assert _inside_and_ends(v, 8)[0] > 0.03  # the wide fit only
    # A smooth row: both fits leave next to nothing, and the wide one is kept.
    smooth = 0.001 * ROW - 0.2
    smooth[5] += 0.1
    assert _detrend(smooth, ROW, floor)[5] == pytest.approx(_detrend(smooth, ROW)[5])


def test_studentised_residuals_are_as_noisy_at_the_ends_as_inside() -> None:
    # On glyphs that only jitter, an end glyph's prediction is an extrapolation: its residual
    # spreads 1.6 times as wide as an inner glyph's, so a fixed scale flagged the ends first.
    # Studentised, every position spreads alike (the inner glyphs' residuals stay as they were).
    noise = np.random.default_rng(3).normal(0.0, 1.0, (400, 17))
    u = np.arange(17.0)
    plain = np.array([compare._local_residuals(v, u, compare.DETREND_WIDTH) for v in noise])
    stud = np.array([compare._local_residuals(v, u, compare.DETREND_WIDTH, True) for v in noise])
    ends, inner = [0, 16], list(range(2, 15))
    assert plain[:, ends].std() / plain[:, inner].std() > 1.4
    assert 0.85 < stud[:, ends].std() / stud[:, inner].std() < 1.15
    assert stud[:, inner].std() == pytest.approx(plain[:, inner].std(), rel=0.05)


def test_the_end_glyphs_are_predicted_by_local_lines() -> None:
    # The end glyphs' predictions are the only extrapolations: a local line predicts them with
    # less noise than a quadratic (1.2 against 1.6 times an inner glyph's residual), so an end
    # glyph re-punched as far off as an inner one stands as far out once studentised.
    noise = np.random.default_rng(5).normal(0.0, 1.0, (400, 17))
    u = np.arange(17.0)
    width = compare.DETREND_WIDTH

    def residuals(lines: bool) -> np.ndarray:
        return np.array([compare._local_residuals(v, u, width, False, lines) for v in noise])

    curves, lines = residuals(False), residuals(True)
    ends, inner = [0, 16], list(range(2, 15))
    assert curves[:, ends].std() / lines[:, ends].std() > 1.2
    # Every other glyph as before (only the robust weights, from all residuals, move a little).
    assert lines[:, inner].std() == pytest.approx(curves[:, inner].std(), rel=0.02)
    # A row bent as a film's is (a quadratic) is followed inside; at the ends a line leaves a
    # little of the bend, far less than a re-punch's offset.
    bent = 0.002 * (u - 8.0) ** 2
    res = compare._local_residuals(bent, u, width, True, True)
    assert np.abs(res[1:-1]).max() < 1e-9 and np.abs(res[[0, -1]]).max() < 0.05
    off = bent.copy()
    off[0] += 0.3
    assert compare._local_residuals(off, u, width, True, True)[0] > 0.25


def test_detrend_keeps_neighbouring_outliers_apart() -> None:
    # Re-punched glyphs may sit side by side; neither may hide the other.
    v = np.zeros(17)
    v[6] += 1.0
    v[7] -= 0.8
    res = _detrend(v, ROW)
    assert abs(res[6]) > 0.9 and abs(res[7]) > 0.7
    assert np.abs(np.delete(res, [6, 7])).max() < 0.05


def test_a_narrower_glyph_is_suspect_for_its_width() -> None:
    c = decide(_raw(xscale={5: np.log(0.7)}), Thresholds())
    assert c.verdict == "mismatch" and c.suspects == (5,)
    assert c.glyphs[5].why == "width"


def test_an_added_stroke_piece_is_suspect() -> None:
    t = Thresholds()
    c = decide(_raw(extra={4: 0.1 + 3.5 * t.extra}), t)
    assert c.verdict == "mismatch" and c.suspects == (4,)
    assert c.glyphs[4].why == "extra"


def test_a_turn_counts_only_when_it_gains_what_the_glyph_would() -> None:
    # Turned 6 degrees: a glyph that loses 0.08 of its correlation when turned by 6 degrees
    # should gain about that much; a gain of 0.012 is noise (a blurred 0 or a D).
    noise = decide(_raw(angle={3: 6.0}, ncc0={3: 0.968}, rot_drop={3: 0.08}), Thresholds())
    real = decide(_raw(angle={3: 6.0}, ncc0={3: 0.90}, rot_drop={3: 0.08}), Thresholds())
    assert noise.verdict == "match" and noise.glyphs[3].tilt == 0.0
    assert real.verdict == "mismatch" and real.suspects == (3,) and real.glyphs[3].why == "tilt"


def test_a_turn_smaller_than_the_glyphs_own_mismatch_is_noise() -> None:
    # A round glyph (little lost by turning) that gains 0.02 by turning 6 degrees: a real turn
    # when it otherwise matches closely (NCC 0.99), noise when it matches at 0.88 only (a
    # blurred or worn rubbing), where 0.4 of its mismatch is 0.048: the gain meets that
    # demand to 0.42, under ``tilt_fade``.
    round_ = {"angle": {3: 6.0}, "rot_drop": {3: 0.02}}
    sharp = decide(_raw(ncc={3: 0.99}, ncc0={3: 0.97}, **round_), Thresholds())
    blurred = decide(_raw(ncc={3: 0.88}, ncc0={3: 0.86}, **round_), Thresholds())
    assert sharp.glyphs[3].tilt == pytest.approx(6.0) and blurred.glyphs[3].tilt == 0.0


def test_a_turn_that_nearly_meets_its_demands_counts_in_part() -> None:
    # Gain 0.02 against a demand of 0.4 x 0.07 = 0.028 (NCC 0.93): met to 0.71, so 0.43 of the
    # 6 degree turn counts (half-met fades to nothing); all or nothing with ``tilt_fade`` 1.
    turned = {"ncc": {3: 0.93}, "ncc0": {3: 0.91}, "angle": {3: 6.0}, "rot_drop": {3: 0.02}}
    partial = _raw(**turned)
    part = decide(partial, Thresholds())
    met = 0.02 / (0.4 * 0.07)
    assert part.glyphs[3].tilt == pytest.approx(6.0 * (met - 0.5) / 0.5, rel=1e-3)
    assert decide(partial, Thresholds(tilt_fade=1.0)).glyphs[3].tilt == 0.0
    # With a little more evidence beside it (a shift of 0.038 glyph heights) the glyph is
    # suspect; the same shift alone is not, nor with the turn counted all or nothing.
    shifted = _raw(dx={3: 0.038 * 48}, **turned)
    alone = _raw(dx={3: 0.038 * 48})
    assert decide(shifted, Thresholds()).suspects == (3,)
    assert decide(shifted, Thresholds(tilt_fade=1.0)).verdict == "match"
    assert decide(alone, Thresholds()).verdict == "match"


VIN = "LSVAU218032183154"  # index 9 (the 10th glyph) is a 3


def _with_ink(t: Thresholds, **ink: dict[int, float]) -> list[dict[str, float]]:
    """A band whose glyph 10 has edge evidence of 1.2 ``TEXT_CONFIRM`` and ``ink``."""
    edge = t.edge * t.hand_made * (0.5 + 1.2 * compare.TEXT_CONFIRM * t.glyph_limit)
    return _raw(edge={9: 0.03 + edge}, **ink)


# An extra stroke piece 1.2 times what confirms a read (the band is quiet: its scale is at
# ``extra_floor`` of ``extra``).
def _added(t: Thresholds) -> float:
    return 0.1 + 1.2 * compare.TEXT_EXTRA * t.extra * t.hand_made * t.extra_floor


def test_a_read_difference_needs_some_evidence_of_the_glyph() -> None:
    t = Thresholds()
    plain, off = decide(_raw(), t), decide(_with_ink(t, extra={9: _added(t)}), t)
    assert off.verdict == "match" and off.glyphs[9].suspicion > compare.TEXT_CONFIRM
    assert off.glyphs[9].added
    altered = VIN[:9] + "8" + VIN[10:]  # a 3 read as an 8 (not a pair OCR swaps on its own)
    assert compare.with_text(plain, VIN, altered).verdict == "match"
    flagged = compare.with_text(off, VIN, altered)
    assert flagged.verdict == "mismatch" and flagged.suspects == (9,)
    assert "10:reads 3→8" in flagged.note
    assert compare.with_text(off, VIN, VIN[:9] + "5" + VIN[10:] + "X").verdict == "match"


def test_a_read_difference_needs_ink_the_reference_lacks() -> None:
    # The same glyph evidence, without an added stroke: an 8 whose left half the pencil
    # missed reads as a 3 and differs from the reference's 8 by *missing* ink, which no
    # look-alike alteration makes. A counter walled off one step more firmly (a 0 given an
    # 8's waist) confirms the read like an extra stroke does.
    t = Thresholds()
    misread = VIN[:9] + "8" + VIN[10:]
    faint = decide(_with_ink(t, missing={9: 0.1 + 2 * t.missing}), t)
    assert faint.glyphs[9].suspicion > compare.TEXT_CONFIRM and not faint.glyphs[9].added
    assert compare.with_text(faint, misread, VIN).verdict == "match"
    step = 1.2 * compare.TEXT_SEALED * t.sealed * t.hand_made
    waist = decide(_with_ink(t, sealed={9: step}, missing={9: 0.1 + 2 * t.missing}), t)
    assert waist.verdict == "match" and waist.glyphs[9].added
    assert compare.with_text(waist, VIN, misread).suspects == (9,)
    # An extra piece under TEXT_EXTRA of its scale confirms only where the glyph gained
    # more ink than it lost.
    small = 0.1 + 0.8 * compare.TEXT_EXTRA * t.extra * t.hand_made * t.extra_floor
    gained = decide(_with_ink(t, extra={9: small}), t)
    lost = decide(_with_ink(t, extra={9: small}, missing={9: 0.1 + 2 * t.missing}), t)
    assert gained.glyphs[9].added and not lost.glyphs[9].added
    assert compare.with_text(gained, VIN, misread).suspects == (9,)
    assert compare.with_text(lost, VIN, misread).verdict == "match"


def test_a_reference_misread_is_not_compared_given_the_registered_vin() -> None:
    t = Thresholds()
    off = decide(_with_ink(t, extra={9: _added(t)}), t)
    misread = VIN[:9] + "8" + VIN[10:]
    # The reference read 8 where the VIN has 3 and the candidate reads 3: the reference's
    # read is wrong there, not the stamping.
    assert compare.with_text(off, misread, VIN).verdict == "mismatch"
    assert compare.with_text(off, misread, VIN, VIN).verdict == "match"
    # The candidate reads 8 where reference and VIN agree on 3: still compared.
    assert compare.with_text(off, VIN, misread, VIN).suspects == (9,)


def test_shift_scale_is_tighter_in_a_quiet_band_only() -> None:
    """A re-punch 0.05 glyph heights off stands out where the other glyphs sit still.

    The same offset in a band whose glyphs all wobble by 0.006 glyph heights (blur, damage)
    is noise there, and the global scale applies.
    """
    off = {5: 0.05 * 48.0}
    quiet = decide(_raw(dx=off), Thresholds())
    assert quiet.suspects == (5,) and "6:shift" in quiet.note
    assert decide(_raw(dx=off), Thresholds(shift_band=0.0)).verdict == "match"  # the old rule
    wobble = {i: (0.006 if i % 2 else -0.006) * 48.0 for i in range(17)}
    noisy = decide(_raw(dx=off, dy=wobble), Thresholds())
    assert noisy.verdict == "match"


# The shortcuts below only save work: each must give the straightforward version's result bit
# for bit (measurements are compared across versions and runs).


def test_warp_corner_is_the_full_warps_corner_bit_for_bit() -> None:
    rng = np.random.default_rng(303)
    for _ in range(40):
        h, w = 86, int(rng.integers(300, 1000))
        strokes = rng.random((h, w)).astype(np.float32)
        binary = (rng.random((h, w)) > 0.6).astype(np.uint8)
        m = cv2.getRotationMatrix2D(
            (rng.uniform(0, w), rng.uniform(20, 60)), rng.uniform(-10, 10), 1
        ).astype(np.float64)
        m[:, 2] += rng.normal(0, 2, 2)
        width, height = int(rng.integers(1, w + 80)), int(rng.integers(1, h + 10))
        for img, interp in ((strokes, cv2.INTER_LINEAR), (binary, cv2.INTER_NEAREST)):
            flags = interp | cv2.WARP_INVERSE_MAP
            full = cv2.warpAffine(img, m, (w, h), flags=flags)
            corner = _warp_corner(img, m, width, height, flags)
            assert corner.shape[0] >= min(h, height) and corner.shape[1] >= min(w, width)
            assert np.array_equal(corner, full[: corner.shape[0], : corner.shape[1]])


def test_crop_is_a_slice_of_the_zero_padded_image() -> None:
    img = np.random.default_rng(101).random((30, 50)).astype(np.float32)
    big = np.pad(img, 20)
    for x0, y0, w, h in ((-7, -5, 20, 15), (40, 20, 20, 15), (10, 5, 12, 9), (-3, 25, 60, 10)):
        assert np.array_equal(
            _crop(img, x0, y0, w, h), big[y0 + 20 : y0 + 20 + h, x0 + 20 : x0 + 20 + w]
        )


def _cut_profiles_full_height(s: np.ndarray, top: int, bot: int) -> tuple[np.ndarray, np.ndarray]:
    """The straightforward version: every slope's shear over the whole band, one at a time."""
    left = [np.zeros_like(s) for _ in range(4)]
    for out, d in zip(left, (2, 3, -2, -3), strict=True):
        if d > 0:
            out[:, d:] = s[:, :-d]
        else:
            out[:, :d] = s[:, -d:]
    fill = np.minimum(np.maximum(left[0], left[1]), np.maximum(left[2], left[3]))
    cut = np.clip(fill - s, 0, None)
    h, w = s.shape
    yc = (top + bot) / 2
    prof = np.empty((len(CUT_SLOPES), w), np.float32)
    for i, k in enumerate(CUT_SLOPES):
        m = np.array([[1.0, -k, k * yc], [0.0, 1.0, 0.0]], np.float32)
        p = cv2.warpAffine(cut, m, (w, h), flags=cv2.INTER_LINEAR)[top:bot].mean(axis=0)
        prof[i] = np.maximum(p, np.maximum(np.roll(p, 1), np.roll(p, -1)))
    return prof, fill


def test_cut_profiles_match_the_full_height_shears_bit_for_bit() -> None:
    rng = np.random.default_rng(202)
    for _ in range(6):
        h, w = int(rng.integers(60, 100)), int(rng.integers(300, 900))
        s = cv2.GaussianBlur((rng.random((h, w)) > 0.7).astype(np.float32), (0, 0), 1.5)
        top = int(rng.integers(0, 20))
        bot = int(rng.integers(h - 20, h + 1))
        got, want = _cut_profiles(s, top, bot), _cut_profiles_full_height(s, top, bot)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_shared_turned_templates_change_nothing() -> None:
    tmpl = np.ascontiguousarray(_glyph("7")[4:66, 6:60])
    turned = _rotations(tmpl)
    assert rotation_drop(tmpl, turned=turned) == rotation_drop(tmpl)
    search = _glyph("7", stretch=0.9)
    for angle in (3.0, 4.5):
        assert width_search(tmpl, search, angle, turned) == width_search(tmpl, search, angle)


def test_the_climb_finds_the_peak_a_full_search_finds_and_scores_fewer() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(3, 9))
        peak = int(rng.integers(n))
        # Falling away on both sides of the peak, with flat stretches (ties).
        steps = rng.choice([0.0, 0.1, 0.3], size=n)
        values = [-float(steps[min(i, peak) : max(i, peak)].sum()) for i in range(n)]
        start = int(rng.integers(n))
        asked: set[int] = set()

        def score(i: int, values: list[float] = values, asked: set[int] = asked) -> float:
            asked.add(i)
            return values[i]

        top = _climb(n, start, score)
        assert top == int(np.argmax(values))  # the first of equals, as a full search
        assert {top - 1, top, top + 1} & set(range(n)) <= asked
        if 0 < start < n - 1 and values[start - 1] < values[start] > values[start + 1]:
            assert len(asked) == 3
    # Two peaks: the climb keeps the one it reaches first.
    assert _climb(7, 3, [0.5, 0.1, 0.6, 0.7, 0.6, 0.1, 0.9].__getitem__) == 3


def test_glyph_match_climbs_to_a_turned_glyphs_own_angle() -> None:
    tmpl = np.ascontiguousarray(_glyph("7")[4:66, 6:60])
    margin = 8
    for angle in (-10.0, -6.0, 4.0, 10.0):
        turned = _rotations(tmpl)
        search = np.pad(_rotated(tmpl, angle), margin)
        ncc, dx, dy, ang, ncc0 = _match_glyph(tmpl, search, margin, turned)
        assert abs(ang - angle) < 1.5 and ncc > 0.95 and ncc0 < ncc
        assert abs(dx) < 0.5 and abs(dy) < 0.5
    # An upright glyph is matched without turning the template beyond the next angles.
    turned = _rotations(tmpl)
    _match_glyph(tmpl, np.pad(tmpl, margin), margin, turned)
    assert set(turned) == {-3.0, 0.0, 3.0} and set(turned) < set(ANGLES)


def test_stacked_least_squares_solve_each_system_as_lstsq() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(17, 3, 3))
    lhs, rhs = a @ a.transpose(0, 2, 1), rng.normal(size=(17, 3))
    lhs[4] = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])  # singular: the least-norm solution
    want = np.array([np.linalg.lstsq(m, v, rcond=None)[0] for m, v in zip(lhs, rhs, strict=True)])
    assert np.allclose(_solved(lhs, rhs), want, rtol=1e-9, atol=1e-12)


def test_the_network_logit_counts_against_its_neighbours_where_they_rose_together() -> None:
    # Glare thins the strokes of glyphs 6-10 and the network reads each as another die,
    # glyph 8 most; a re-punch of glyph 3 stands out from its quiet neighbours.
    quiet = {i: -6.0 for i in range(17)}
    glare = quiet | {6: 3.0, 7: 5.0, 8: 9.0, 9: 4.0, 10: 3.0}
    t = Thresholds()
    against_band = decide(_raw(design=glare), replace(t, design_local=0.0))
    assert against_band.verdict == "mismatch" and 8 in against_band.suspects
    against_neighbours = decide(_raw(design=glare), t)
    assert against_neighbours.verdict == "match"
    assert against_neighbours.glyphs[8].design == pytest.approx(9.0 - 4.0)
    repunched = decide(_raw(design=quiet | {3: 9.0}), t)
    assert repunched.verdict == "mismatch" and repunched.suspects == (3,)
    assert repunched.glyphs[3].design == pytest.approx(15.0)
    # Never below the band's median: a glyph among lower neighbours keeps its excess over it.
    assert compare._level(np.array([0.0, 0.0, 5.0, 5.0, 5.0, 5.0]), 1.5)[0] == 5.0


def test_a_row_one_column_off_is_taken_from_its_other_end_only_where_that_agrees_better() -> None:
    t = Thresholds()
    rng = np.random.default_rng(3)
    # Every glyph met another glyph: large, scattered offsets and shape mismatch.
    off = _raw(
        dx={i: float(v) for i, v in enumerate(rng.normal(0, 6, 17))},
        ncc={i: 0.8 for i in range(17)},
        ncc0={i: 0.8 for i in range(17)},
        edge={i: 0.3 for i in range(17)},
    )
    found = compare.decide_upright(off, lambda: None, t)
    assert compare.worth_turning(found)
    asked: list[str] = []

    def given(
        which: str, raw: list[dict[str, float]] | None
    ) -> Callable[[], list[dict[str, float]] | None]:
        def measured() -> list[dict[str, float]] | None:
            asked.append(which)
            return raw

        return measured

    # The other end agrees: taken, and named.
    taken, won = compare.with_other_rows(
        found,
        [("reference", given("reference", None)), ("candidate", given("candidate", _raw()))],
        t,
    )
    assert won == 1 and taken.verdict == "match" and taken.row == "candidate"
    assert taken.note.startswith("candidate's glyph row taken from its other end")
    # An other end that agrees no better (another die set either way) is not taken.
    kept, won = compare.with_other_rows(found, [("candidate", given("candidate", off))], t)
    assert won == -1 and kept == found
    # A comparison where most glyphs agree asks for no other row.
    asked.clear()
    plain = decide(_raw(), t)
    assert compare.with_other_rows(plain, [("candidate", given("candidate", off))], t) == (
        plain,
        -1,
    )
    assert asked == []
    # The first try under which most glyphs agree is taken, though a later one agrees still
    # better: the reference's own cut stands where mending the candidate's is enough.
    repunched = _raw(dx={1: 6.0})
    first, won = compare.with_other_rows(
        found,
        [
            ("candidate boxes", given("candidate boxes", repunched)),
            ("reference boxes", given("reference boxes", _raw())),
        ],
        t,
    )
    assert won == 0 and first.row == "candidate boxes" and first.suspects == (1,)
    assert first.note.startswith("candidate's glyphs cut where the reference's fall on it")
    assert asked == ["candidate boxes"]


def test_a_clone_compared_with_its_row_from_the_other_end_is_not_judged_glyph_by_glyph() -> None:
    # Another die set found once its row was taken from its other end: the clone verdict
    # stands; no glyph is measured against the reference's other stampings (which would
    # leave only glyphs over the limit as suspects).
    t = Thresholds()
    rng = np.random.default_rng(5)
    clone = decide(
        _raw(
            ncc={i: 0.8 + 0.01 * rng.random() for i in range(17)},
            design={i: 4.0 for i in range(17)},
        ),
        t,
    )
    assert clone.note == compare.CLONE_NOTE and len(clone.suspects) == 17
    noted = replace(clone, note="candidate's glyph row taken from its other end; " + clone.note)
    assert compare.across_pairs(noted, VIN, 0.0) == []
