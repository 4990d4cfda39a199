"""Decide whether a candidate rubbing matches the reference rubbing of the same VIN.

:mod:`pipeline.vin.glyphs` measures every glyph against its reference counterpart after
alignment; here each measurement is taken relative to the band's own median (so blur and
pressure common to the whole rubbing cancel) and divided by its *scale* (the 99.5th
percentile of genuine glyphs). A reviewer can read them:

- ``edge``/``shape``: outline distance and 1 - correlation (another die, altered glyph);
- ``shift``: displacement from a line fitted through the other glyphs' offsets (restamp);
- ``tilt``: rotation against the others, in degrees, when rotating helps (hand restamp);
- ``weight``: stroke area against the other glyphs' ratio (a heavier or lighter die);

A glyph's evidence is the root sum of squares of what exceeds half a scale; a glyph whose
evidence exceeds ``glyph_limit`` is suspect. High median shape and outline distance over the
whole band means another die set for every glyph (a clone).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from pipeline.vin.band import GLYPH_H, Band
from pipeline.vin.glyphs import measure

# Pairs RapidOCR swaps on worn glyphs; a read difference between them says nothing.
OCR_NOISE = frozenset(
    frozenset(p) for p in ("Z2", "S5", "B8", "D0", "UV", "G6", "L1", "T7", "A4", "J1")
)
TEXT_CONFIRM = 0.25  # share of the glyph limit its evidence must reach to confirm OCR


@dataclass(frozen=True)
class Thresholds:
    """Scales of the per-glyph measurements and the limits of the combined evidence.

    Each measurement (relative to the band's own median) is divided by its *scale*, the
    99.5th percentile of genuine glyphs on generated styles A and C (clone scales: 99th
    percentile of genuine band medians; tilt: the angle search's precision, as genuine
    glyphs almost never gain by rotating); the glyph's evidence is
    the root of the summed squares of what exceeds half a scale, so a glyph that is a little
    off in several ways (shifted *and* turned, other outline *and* weight) adds up. See
    ``pipeline/vin/calibrate.py``, which recomputes these on any style.
    """

    edge: float = 0.14  # outline distance above the band's median
    shape: float = 0.073  # 1 - NCC above the band's median
    shift: float = 0.023  # glyph heights from where the layout puts it
    tilt: float = 1.5  # degrees against the others, when rotating helps (genuine: ~always 0)
    tilt_gain: float = 0.01  # NCC gained by rotating, below which a tilt is noise
    weight: float = 0.275  # |log stroke-area ratio| against the band's median ratio
    glyph_limit: float = 1.8  # combined evidence above which a glyph is suspect
    clone_shape: float = 0.045  # band median of 1 - NCC: every glyph from another die
    clone_edge: float = 0.108  # band median outline distance
    clone_layout: float = 0.011  # band median of shift: glyphs spaced by another stamping
    clone_limit: float = 1.0  # combined band evidence above which the VIN is a clone
    placement: float = 1.1  # unused since the evidence combination; kept so configs load
    clone_width: float = 0.29  # unused (band width is too noisy); kept so configs load


@dataclass(frozen=True)
class GlyphScore:
    """Measurements for one glyph position."""

    index: int
    shape: float
    shift: float
    tilt: float
    weight: float
    edge: float
    suspicion: float  # combined evidence / glyph_limit (> 1: suspect)
    why: str  # the measurement that contributed most


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two bands."""

    verdict: str  # match | mismatch | unreadable
    score: float  # 0..1, 1 = identical stamping; < 0.5 means mismatch
    suspects: tuple[int, ...]
    glyphs: tuple[GlyphScore, ...] = ()
    note: str = ""
    offsets: tuple[tuple[float, float], ...] = field(default=(), repr=False)


def _detrend(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Residuals from a line along the band fitted without its three worst glyphs.

    A slightly wrong scale or rotation of the band fit grows linearly towards the band's
    ends; a straight line takes it out, while up to three re-punched glyphs stay outliers.
    """
    keep = np.ones(len(v), bool)
    for _ in range(2):
        coef = np.polyfit(x[keep], v[keep], 1)
        res = v - np.polyval(coef, x)
        keep = np.abs(res) <= np.sort(np.abs(res))[-4]
    return res


def _features(raw: list[dict[str, float]], t: Thresholds) -> dict[str, np.ndarray]:
    """Per-glyph measurements, each relative to the band's own typical value."""

    def col(name: str) -> np.ndarray:
        return np.array([g[name] for g in raw], np.float64)

    shape, edge = 1.0 - col("ncc"), col("edge")
    dx, dy = col("dx") / GLYPH_H, col("dy") / GLYPH_H
    gain = col("ncc") - col("ncc0")
    ang = col("angle")
    area = np.log((col("c_area") + 20) / (col("r_area") + 20))
    return {
        "edge": edge - np.median(edge),
        "shape": shape - np.median(shape),
        "shift": np.hypot(_detrend(dx, col("x")), _detrend(dy, col("x"))),
        "tilt": np.where(gain > t.tilt_gain, np.abs(ang - np.median(ang)), 0.0),
        "weight": np.abs(area - np.median(area)),
        "_edge": edge,
        "_shape": shape,
    }


NAMES = ("edge", "shape", "shift", "tilt", "weight")


def _evidence(f: dict[str, np.ndarray], t: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Each glyph's combined evidence (in units of ``glyph_limit``) and its main component.

    Half a scale is free: genuine glyphs often sit there on one measurement, rarely on two.
    """
    scales = (t.edge, t.shape, t.shift, t.tilt, t.weight)
    parts = np.vstack([np.maximum(f[n] / s - 0.5, 0.0) for n, s in zip(NAMES, scales, strict=True)])
    return np.sqrt((parts**2).sum(axis=0)) / t.glyph_limit, parts.argmax(axis=0)


def _clone(f: dict[str, np.ndarray], t: Thresholds) -> float:
    """Band-level evidence (in units of ``clone_limit``) that every glyph is from another die.

    Medians over 17 glyphs ignore a few re-punched ones; the 4-norm lets either measurement
    decide when it is far out while two moderate ones add up.
    """
    a = max(float(np.median(f["_shape"])) / t.clone_shape - 0.5, 0.0)
    b = max(float(np.median(f["_edge"])) / t.clone_edge - 0.5, 0.0)
    c = max(float(np.median(f["shift"])) / t.clone_layout - 0.5, 0.0)
    return float((a**4 + b**4 + c**4) ** 0.25) / t.clone_limit


def decide(raw: list[dict[str, float]], t: Thresholds) -> Comparison:
    """Turn raw measurements into glyph scores, suspects, a verdict and a score."""
    f = _features(raw, t)
    susp, main = _evidence(f, t)
    why = [NAMES[int(k)] for k in main]
    glyphs = tuple(
        GlyphScore(
            i,
            float(f["shape"][i]),
            float(f["shift"][i]),
            float(f["tilt"][i]),
            float(f["weight"][i]),
            float(f["edge"][i]),
            float(susp[i]),
            why[i],
        )
        for i in range(len(raw))
    )
    clone = _clone(f, t)
    worst = max(float(susp.max()), clone)
    score = float(np.clip(1.0 - 0.5 * worst, 0.0, 1.0))
    if clone > 1.0:
        suspects = tuple(range(len(raw)))
        note = "every glyph differs: another die set (clone or fully restamped VIN)"
    else:
        suspects = tuple(int(i) for i in np.nonzero(susp > 1.0)[0])
        note = ", ".join(f"{i + 1}:{why[i]}" for i in suspects)
    return Comparison("mismatch" if suspects else "match", score, suspects, glyphs, note)


def with_text(comparison: Comparison, ref_text: str | None, cand_text: str | None) -> Comparison:
    """Add positions where the two rubbings *read* differently (3→8, 1→7, C→G alterations).

    Both bands are read by the same OCR, so a genuine pair's glyphs usually read alike; more
    than three differences mean one read is unreliable and the text is ignored. OCR only
    proposes: the glyph's own evidence must reach a quarter of its limit, so a misread
    of two identical glyphs does not flag a genuine rubbing.
    """
    if comparison.verdict == "unreadable" or not ref_text or not cand_text:
        return comparison
    if len(ref_text) != len(cand_text):
        return comparison
    diff = [
        i
        for i, (a, b) in enumerate(zip(ref_text, cand_text, strict=True))
        if a != b and frozenset((a, b)) not in OCR_NOISE
    ]
    if len(diff) > 3:
        return comparison
    by_index = {g.index: g for g in comparison.glyphs}
    diff = [i for i in diff if i in by_index and by_index[i].suspicion >= TEXT_CONFIRM]
    if not diff:
        return comparison
    suspects = tuple(sorted(set(comparison.suspects) | set(diff)))
    note = ", ".join(
        filter(
            None, [comparison.note, *(f"{i + 1}:reads {ref_text[i]}→{cand_text[i]}" for i in diff)]
        )
    )
    return replace(
        comparison,
        verdict="mismatch",
        score=min(comparison.score, 0.25),
        suspects=suspects,
        note=note,
    )


def compare_bands(ref: Band | None, cand: Band | None, t: Thresholds | None = None) -> Comparison:
    """Compare two rectified bands; ``unreadable`` unless both have 17 glyphs."""
    if ref is None or not ref.complete:
        return Comparison(
            "unreadable", 0.0, (), note="reference: VIN band not found or not 17 glyphs"
        )
    if cand is None or not cand.complete:
        return Comparison(
            "unreadable", 0.0, (), note="candidate: VIN band not found or not 17 glyphs"
        )
    return decide(measure(ref, cand), t or Thresholds())
