"""Evaluation pairs of rubbings with truth labels: genuine and four kinds of tampering.

A *style* fixes the font family and the rubbing texture:

- ``A``: Hershey vector fonts, light-on-dark carbon rubbings;
- ``B``: TrueType fonts, dark-on-light pencil rubbings;
- ``C``: TrueType fonts on carbon, ``D``: Hershey on pencil (crossed).

The comparison is tuned on some seeds (see :mod:`pipeline.vin.calibrate`) and reported on
others; the first pass tuned on styles A and C and held out B and D instead.

Genuine pairs share the die and the punched layout and differ in rubbing and photo. Tampered
candidates: ``die_restamp`` (glyphs ground off and re-punched with another die, same text),
``lookalike`` (3→8, 1→7, C→G ... by adding strokes or re-punching), ``hand_restamp`` (same die,
punched by hand: shifted and/or tilted) and ``clone`` (the whole VIN from another die set).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.vin import rules
from pipeline.vin.dies import (
    MARKS,
    Die,
    Placement,
    layout,
    other_die,
    random_die,
    stamp,
    stamp_vin,
)
from pipeline.vin.texture import encode_jpeg, photograph, rub

STYLES = {
    "A": ("hershey", "carbon"),
    "B": ("truetype", "pencil"),
    "C": ("truetype", "carbon"),
    "D": ("hershey", "pencil"),
    # Real Hershey stroke fonts (pipeline.vin.hershey): not in the default mix, whose A and D
    # were measured and tuned with OpenCV 5's putText faces.
    "E": ("strokes", "carbon"),
    "F": ("strokes", "pencil"),
    # Dot-peen marking (session 7), not in the default mix either.
    "G": ("dots", "carbon"),
    "H": ("dots", "pencil"),
}
KINDS = ("genuine", "die_restamp", "lookalike", "hand_restamp", "clone")
LOOKALIKES = {
    "3": "8",
    "1": "7",
    "C": "G",
    "0": "8",
    "6": "8",
    "5": "6",
    "F": "E",
    "P": "R",
    "V": "W",
}


@dataclass(frozen=True)
class Pair:
    """One generated pair: JPEG bytes of both rubbings and the truth."""

    reference: bytes
    candidate: bytes
    vin: str  # the registered VIN (the reference's)
    kind: str
    positions: tuple[int, ...]  # tampered glyph indexes, 0-based
    style: str
    mark: str = ""  # delimiter punched before and after the VIN, if any

    @property
    def tampered(self) -> bool:
        """Whether the candidate was tampered with."""
        return self.kind != "genuine"


def random_vin(rng: np.random.Generator) -> str:
    """A random well-formed VIN with a valid check digit, sometimes Chinese-looking."""
    alphabet = sorted(rules.ALPHABET)
    body = [str(rng.choice(alphabet)) for _ in range(rules.LENGTH)]
    if rng.random() < 0.5:
        body[0] = "L"
    for i in range(11, 17):
        # ISO 3779 / GB 16735: the last four are digits; the two before usually are.
        if i >= 13 or rng.random() < 0.7:
            body[i] = str(rng.integers(0, 10))
    return rules.with_check_digit("".join(body))


def _shoot(mask: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    film = rub(mask, style, rng)
    photo = photograph(film, rng, damage=bool(rng.random() < 0.35))
    return encode_jpeg(photo, int(rng.integers(35, 96)))


def _tamper(
    kind: str,
    die: Die,
    vin: str,
    places: list[Placement],
    rng: np.random.Generator,
    mark: str = "",
) -> tuple[np.ndarray, tuple[int, ...]]:
    """The candidate's stamp mask and the tampered positions."""
    if kind == "clone":
        other = other_die(die, rng)
        other = replace(other, pitch=die.pitch * float(rng.uniform(0.93, 1.07)))
        mask = stamp_vin(other, vin, layout(other, len(places), rng), mark)
        return mask, tuple(range(len(vin)))
    mask = stamp_vin(die, vin, places, mark)
    places = places[1:-1] if mark else places  # the glyphs' own
    if kind == "lookalike":
        options = [i for i, c in enumerate(vin) if c in LOOKALIKES and i != rules.CHECK_INDEX]
        i = int(rng.choice(options))
        stamp(mask, die, LOOKALIKES[vin[i]], places[i], erase=bool(rng.random() < 0.5))
        return mask, (i,)
    n = int(rng.choice([1, 1, 2, 3])) if kind == "die_restamp" else int(rng.choice([1, 1, 2]))
    idxs = tuple(sorted(int(i) for i in rng.choice(len(vin), n, replace=False)))
    other = other_die(die, rng) if kind == "die_restamp" else die
    for i in idxs:
        p = places[i]
        if kind == "hand_restamp":
            mag = float(rng.uniform(0.08, 0.2)) * die.height
            ang = float(rng.uniform(0, 2 * np.pi))
            tilt = float(rng.choice([-1, 1]) * rng.uniform(4, 12)) if rng.random() < 0.6 else 0.0
            shift = mag if tilt == 0.0 or rng.random() < 0.5 else 0.0
            p = Placement(p.x + shift * np.cos(ang), p.y + shift * np.sin(ang), p.tilt + tilt)
        else:
            # Nobody re-punches exactly where the machine did.
            jit = die.height * 0.03
            p = Placement(
                p.x + float(rng.normal(0, jit)),
                p.y + float(rng.normal(0, jit)),
                p.tilt + float(rng.normal(0, 1.5)),
            )
        stamp(mask, other, vin[i], p, erase=True)
    return mask, idxs


def make_pair(
    kind: str, style: str, rng: np.random.Generator, vin: str | None = None, mark: str = ""
) -> Pair:
    """Generate one pair of a kind in a style (of a random VIN unless one is given), with a
    delimiter ``mark`` (:data:`pipeline.vin.dies.MARKS`) punched before and after the VIN."""
    family, texture = STYLES[style]
    die = random_die(rng, family, height=int(rng.integers(40, 64)))
    vin = vin or random_vin(rng)
    if kind == "lookalike":
        while not any(c in LOOKALIKES for i, c in enumerate(vin) if i != rules.CHECK_INDEX):
            vin = random_vin(rng)
    places = layout(die, len(vin) + (2 if mark else 0), rng)
    ref_mask = stamp_vin(die, vin, places, mark)
    positions: tuple[int, ...] = ()
    if kind == "genuine":
        cand_mask = ref_mask
    else:
        cand_mask, positions = _tamper(kind, die, vin, places, rng, mark)
    return Pair(
        _shoot(ref_mask, texture, rng),
        _shoot(cand_mask, texture, rng),
        vin,
        kind,
        positions,
        style,
        mark,
    )


def pairs(
    n: int, styles: str, seed: int, genuine_share: float = 0.5, marks: float = 0.0
) -> Iterator[Pair]:
    """``n`` pairs cycling through ``styles``: half genuine, the rest spread over the kinds;
    a ``marks`` share of the VINs is punched between delimiter marks (★, ☆ or *)."""
    rng = np.random.default_rng(seed)
    tampered = KINDS[1:]
    for i, mark in zip(range(n), _marks(seed, marks), strict=False):
        style = styles[i % len(styles)]
        kind = (
            "genuine"
            if rng.random() < genuine_share
            else tampered[int(rng.integers(len(tampered)))]
        )
        yield _numbered_pair(kind, style, rng, seed, i, mark)


def _numbered_pair(
    kind: str, style: str, rng: np.random.Generator, seed: int, index: int, mark: str
) -> Pair:
    """Pair ``index`` of a seed's stream ``rng``; with a ``mark``, drawn from a stream of its
    own (its canvas is wider, so it would draw differently) after the unmarked pair has
    advanced ``rng``: every pair without marks is the same pair as with no marks at all."""
    pair = make_pair(kind, style, rng)
    if mark:
        own = np.random.default_rng([seed, MARK_STREAM, index])
        pair = make_pair(kind, style, own, mark=mark)
    return pair


MARK_STREAM = 0x6D61726B  # "mark": the second seed word of the marks' random stream


def _marks(seed: int, share: float) -> Iterator[str]:
    """Each pair's delimiter mark ("" for none), a ``share`` of them with one."""
    rng = np.random.default_rng([seed, MARK_STREAM])
    while True:
        with_mark = rng.random() < share
        mark = MARKS[int(rng.integers(len(MARKS)))]
        yield mark if with_mark else ""


def write_pairs(folder: Path, items: Iterator[Pair]) -> Path:
    """Write pairs as JPEGs plus ``pairs.csv`` (reference, candidate, vin) and ``truth.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (
        (folder / "pairs.csv").open("w", newline="") as pf,
        (folder / "truth.csv").open("w", newline="") as tf,
    ):
        pw, tw = csv.writer(pf), csv.writer(tf)
        pw.writerow(["reference", "candidate", "vin"])
        tw.writerow(["reference", "candidate", "vin", "kind", "positions", "style", "mark"])
        for i, p in enumerate(items):
            ref, cand = f"p{i:04d}_ref.jpg", f"p{i:04d}_cand.jpg"
            (folder / ref).write_bytes(p.reference)
            (folder / cand).write_bytes(p.candidate)
            pw.writerow([ref, cand, p.vin])
            positions = ";".join(map(str, p.positions))
            tw.writerow([ref, cand, p.vin, p.kind, positions, p.style, p.mark])
    return folder / "pairs.csv"


def _shrink(pair: Pair, width: int) -> Pair:
    """The pair with both photos scaled down to ``width`` (re-encoded at quality 80)."""
    if width <= 0:
        return pair

    def small(data: bytes) -> bytes:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert img is not None
        h, w = img.shape[:2]
        if w > width:
            img = cv2.resize(img, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
        return encode_jpeg(img, 80)

    return replace(pair, reference=small(pair.reference), candidate=small(pair.candidate))


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.vin.evalgen OUT [--pairs N] [--styles AB] [--seed S]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m pipeline.vin.evalgen", description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--pairs", type=int, default=100)
    p.add_argument("--styles", default="ABCD")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kinds", default=",".join(KINDS), help="cycle through these kinds in order")
    p.add_argument("--max-width", type=int, default=0, help="shrink photos (small samples)")
    p.add_argument(
        "--marks", type=float, default=0.0, help="share of VINs between delimiter marks (★ ☆ *)"
    )
    args = p.parse_args(argv)
    kinds = args.kinds.split(",")
    rng = np.random.default_rng(args.seed)
    items = (
        _shrink(
            _numbered_pair(
                kinds[i % len(kinds)], args.styles[i % len(args.styles)], rng, args.seed, i, mark
            ),
            args.max_width,
        )
        for i, mark in zip(range(args.pairs), _marks(args.seed, args.marks), strict=False)
    )
    path = write_pairs(args.out, items)
    print(f"wrote {args.pairs} pairs: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
