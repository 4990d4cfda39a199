"""Tampered VIN rubbings from this package's own renderer: evidence made differently from
:mod:`pipeline.vin.evalgen`, on which the rubbing comparison was tuned.

Every kind is made in this renderer's terms: a :class:`~pipeline.samplegen.stamp.DieStyle`
(its punch faces, its V-groove depth, each position's hand placement and wear) rubbed by
:func:`~pipeline.samplegen.rubbing.render_rubbing` (streaky carbon, tape, sheen), and a
candidate photographed by hand (:func:`photographed`: perspective, light, shadow, blur,
scratches and grime from :mod:`pipeline.samplegen.effects`). Nothing here draws a glyph,
a film or a photo the way ``evalgen`` does.

- ``genuine``: the same stamping, another rubbing and another photo;
- ``die_restamp``: one to three positions ground off and punched again with another set
  (another face), placed by hand as carefully as the factory's punches;
- ``lookalike``: one character made another by adding strokes (an 8 punched over a 3 with
  the same set, in place) or ground off and punched as the other character;
- ``hand_restamp``: one or two positions punched again with the same set, moved 0.08-0.2
  glyph heights and/or turned 4-12 degrees;
- ``clone``: the VIN punched afresh with another set (another face, size, spacing).

``python -m pipeline.samplegen.tampering OUT --pairs N --seed S`` writes the pairs with
``pairs.csv`` (for ``inspectpipe rubbing compare --pairs``) and ``truth.csv``;
``inspectpipe bench rubbing --samplegen N`` scores them per kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.samplegen import effects
from pipeline.samplegen.fonts import STAMP_FACES, available
from pipeline.samplegen.rubbing import RubbingVariations, render_rubbing
from pipeline.samplegen.stamp import DieStyle, _punch
from pipeline.vin import rules
from pipeline.vin.evalgen import KINDS, Pair, random_vin, write_pairs
from pipeline.vin.evalgen import LOOKALIKES as EVALGEN_LOOKALIKES
from pipeline.vin.texture import encode_jpeg

STYLE = "samplegen"
# Look-alikes made by adding strokes: evalgen's and L→E, 9→8.
LOOKALIKES = {**EVALGEN_LOOKALIKES, "9": "8", "L": "E"}
# A re-punch set must draw the re-punched characters visibly otherwise: on average this
# share of a glyph's ink lies more than a pixel outside the other's, as ``pipeline.vin.dies``
# demands of evalgen's re-punch dies. Cut to one cell at one stroke, some faces draw a
# character alike (DejaVu Sans Mono Bold and Liberation Mono Bold a 4: 0.0), and such a
# re-punch leaves no trace to find; where no other set reaches it, the most different.
VISIBLE = 0.03


def varied(rng: np.random.Generator) -> RubbingVariations:
    """A rubbing's variation, wider than :meth:`RubbingVariations.random`: more tilt, blur,
    uneven pressure and grain, more inverted films, and photos of other sizes."""
    w = int(rng.integers(1000, 1700))
    return RubbingVariations(
        tilt_deg=float(rng.uniform(-6, 6)),
        span=float(rng.uniform(0.55, 0.85)),
        shift=(float(rng.uniform(-40, 40)), float(rng.uniform(-20, 20))),
        pressure=float(rng.uniform(0.55, 0.95)),
        unevenness=float(rng.uniform(0.1, 0.55)),
        grain=float(rng.uniform(0.3, 1.0)),
        blur=float(rng.uniform(0.4, 1.8)),
        invert=bool(rng.random() < 0.25),
        size=(w, int(w * rng.uniform(0.28, 0.42))),
        paper=(
            int(rng.integers(215, 246)),
            int(rng.integers(222, 250)),
            int(rng.integers(225, 252)),
        ),
    )


def photographed(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The film photographed by hand: a little perspective, uneven light, sometimes a
    shadow, lens or shake blur, scratches across the strip and grime; sensor noise."""
    h, w = img.shape[:2]
    pad = int(0.06 * w)
    desk = np.full((h + 2 * pad, w + 2 * pad, 3), rng.integers(60, 200), np.uint8)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = src + pad + rng.uniform(-0.03, 0.03, (4, 2)).astype(np.float32) * (w, h)
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    out = cv2.warpPerspective(
        img, m, desk.shape[1::-1], dst=desk, borderMode=cv2.BORDER_TRANSPARENT
    )
    if rng.random() < 0.15:
        out = effects.motion_blur(out, int(rng.integers(2, 5)), float(rng.uniform(0, 180)))
    else:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.3, 1.2)))
    out = effects.lighting(out, rng, 0.8)
    if rng.random() < 0.2:
        out = effects.cast_shadow(out, rng, 0.25)
    if rng.random() < 0.3:  # damage across the strip
        band = (pad, pad + h // 3, pad + w, pad + 2 * h // 3)
        out = effects.scratches(out, rng, int(rng.integers(2, 7)), band)
    if rng.random() < 0.2:
        out = effects.dirt(out, rng, float(rng.uniform(0.15, 0.35)))
    return effects.sensor_noise(out, rng, float(rng.uniform(1.5, 5.0)))


def _scanned(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The archived reference: a flatter, cleaner scan of its film."""
    return effects.sensor_noise(effects.lighting(img, rng, 0.3), rng, 1.5)


def _hand(rng: np.random.Generator) -> tuple[float, tuple[float, float]]:
    """A punch put down by hand as carefully as the factory's (DieStyle.random's spread)."""
    return float(rng.normal(0, 1.6)), (float(rng.normal(0, 1.8)), float(rng.normal(0, 1.8)))


def _ink_difference(vin: str, positions: tuple[int, ...], die: DieStyle, other: DieStyle) -> float:
    """Mean share of the re-punched glyphs' ink that one set has more than a pixel (at
    48-pixel glyphs) away from the other's, either way round: ``pipeline.vin.dies``'s
    measure of a visible re-punch, taken on the characters re-punched."""
    gw = round(die.height_px * die.width_scale)
    reach = round(die.height_px / 48)
    near = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    faces, others = dict(die.overrides), dict(other.overrides)
    shares = []
    for i in positions:
        a = _punch(vin[i], faces.get(i, die.face), gw, die.height_px, die.stroke, 0) > 0.5
        b = _punch(vin[i], others[i], gw, die.height_px, die.stroke, 0) > 0.5
        only_a = np.count_nonzero(a & ~(cv2.dilate(b.astype(np.uint8), near) > 0))
        only_b = np.count_nonzero(b & ~(cv2.dilate(a.astype(np.uint8), near) > 0))
        shares.append(max(only_a / max(a.sum(), 1), only_b / max(b.sum(), 1)))
    return float(np.mean(shares))


def tampered(
    kind: str, vin: str, die: DieStyle, rng: np.random.Generator
) -> tuple[str, DieStyle, tuple[int, ...]]:
    """The candidate's text, stamping and tampered positions for a ``kind`` of ``KINDS``."""
    tilts, offsets = list(die.tilts), list(die.offsets)
    if kind == "genuine":
        return vin, die, ()
    if kind == "clone":
        faces = [f for f in available(STAMP_FACES) if f != die.face] or [die.face]
        other = DieStyle.random(rng)
        return vin, replace(other, face=faces[int(rng.integers(len(faces)))]), tuple(range(17))
    if kind == "lookalike":
        options = [i for i, c in enumerate(vin) if c in LOOKALIKES and i != rules.CHECK_INDEX]
        i = int(rng.choice(options))
        if rng.random() < 0.5:  # strokes added: the other character punched over it
            return vin, replace(die, additions=((i, LOOKALIKES[vin[i]]),)), (i,)
        tilts[i], offsets[i] = _hand(rng)  # ground off, punched as the other character
        text = vin[:i] + LOOKALIKES[vin[i]] + vin[i + 1 :]
        return text, replace(die, tilts=tuple(tilts), offsets=tuple(offsets)), (i,)
    n = int(rng.choice([1, 1, 2, 3])) if kind == "die_restamp" else int(rng.choice([1, 1, 2]))
    positions = tuple(sorted(int(i) for i in rng.choice(17, n, replace=False)))
    if kind == "hand_restamp":
        for i in positions:
            mag = float(rng.uniform(0.08, 0.2)) * die.height_px
            turn = float(rng.choice([-1, 1]) * rng.uniform(4, 12)) if rng.random() < 0.6 else 0.0
            if turn == 0.0 or rng.random() < 0.5:
                ang = float(rng.uniform(0, 2 * np.pi))
                dx, dy = offsets[i]
                offsets[i] = (dx + mag * np.cos(ang), dy + mag * np.sin(ang))
            tilts[i] += turn
        return vin, replace(die, tilts=tuple(tilts), offsets=tuple(offsets)), positions
    if kind != "die_restamp":
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    faces = [f for f in available(STAMP_FACES) if f != die.face]
    faces = [faces[int(j)] for j in rng.permutation(len(faces))]
    for i in positions:
        tilts[i], offsets[i] = _hand(rng)
    tried = []
    for face in faces:  # the first other set that draws these characters visibly otherwise
        other = replace(
            die,
            tilts=tuple(tilts),
            offsets=tuple(offsets),
            overrides=(*die.overrides, *((i, face) for i in positions)),
        )
        tried.append((_ink_difference(vin, positions, die, other), other))
        if tried[-1][0] >= VISIBLE:
            break
    return vin, max(tried, key=lambda t: t[0])[1], positions


def make_pair(kind: str, rng: np.random.Generator) -> Pair:
    """One pair of ``kind``: the archived reference and an inspection's candidate."""
    vin = random_vin(rng)
    while kind == "lookalike" and not any(
        c in LOOKALIKES for i, c in enumerate(vin) if i != rules.CHECK_INDEX
    ):
        vin = random_vin(rng)
    die = DieStyle.random(rng)
    text, cand_die, positions = tampered(kind, vin, die, rng)
    ref = _scanned(render_rubbing(vin, die, rng, variations=varied(rng)), rng)
    cand = photographed(render_rubbing(text, cand_die, rng, variations=varied(rng)), rng)
    return Pair(
        reference=encode_jpeg(ref, int(rng.integers(60, 96))),
        candidate=encode_jpeg(cand, int(rng.integers(35, 96))),
        vin=vin,
        kind=kind,
        positions=positions,
        style=STYLE,
    )


def pairs(n: int, seed: int) -> Iterator[Pair]:
    """``n`` pairs: even ones genuine, odd ones each tampered kind in turn."""
    rng = np.random.default_rng(seed)
    tampered_kinds = KINDS[1:]
    for i in range(n):
        kind = "genuine" if i % 2 == 0 else tampered_kinds[(i // 2) % len(tampered_kinds)]
        yield make_pair(kind, rng)


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.samplegen.tampering OUT [--pairs N] [--seed S]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m pipeline.samplegen.tampering", description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--pairs", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    path = write_pairs(args.out, pairs(args.pairs, args.seed))
    print(f"wrote {args.pairs} pairs: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
