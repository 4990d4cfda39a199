"""Tuning the rubbing comparison offline: measure bench pairs once, decide them many times.

    python -m pipeline.vin.offline capture tune.json.gz --seeds 4242,1234 --pairs 150 [--read]
        [--disturb glare] [--keystone 0.2] [--turn 90] [--windows] [--across] [--procs 2]
    python -m pipeline.vin.offline decide tune.json.gz [more.json.gz ...] [--set design=3.7 ...]
        [--model other.onnx ...] [--without-across]

``capture`` makes the pairs ``inspectpipe bench rubbing --styles A,B,C,D --seed S --pairs N``
makes (style group k on seed S + k, the disturbances from the bench's own random stream,
keystone and turn as ``bench rubbing --keystone/--turn`` apply them),
rectifies both rubbings and keeps each pair's raw glyph measurements
(:func:`pipeline.vin.glyphs.measure`), those of the candidate turned upside down where the
comparison would look at them, and with ``--read`` both OCR reads. ``decide`` replays
:func:`pipeline.vin.compare.decide` and ``with_text`` (with the registered VIN) on them under
any :class:`~pipeline.vin.compare.Thresholds` and prints what the bench prints for accuracy:
a sweep of a scale takes seconds instead of a bench run per value. Session 12 chose its
decision this way; a change to the measurements themselves needs a new capture.

``--across`` also keeps, for every glyph whose character the VIN repeats and whose evidence
reaches ``ACROSS_CAPTURE`` of the limit, its measurements against the reference's other
stampings of that character and the reference's own glyph's (what
:func:`pipeline.vin.compare.with_across` weighs with the registered VIN); ``decide`` uses them
unless ``--without-across``. Where the comparison finds most glyphs differing even turned,
the capture also keeps the measurements with each band's glyph row taken otherwise
(``raw_ends``: from its other end, in the other polarity, cut where the other band's glyphs
fall; :func:`pipeline.vin.compare.other_rows`), which the replay weighs as
:func:`pipeline.vin.compare.compare_bands` does. A band found but not cut into 17 glyphs is
measured as cut where the other band's glyphs fall on it (``cut``:
:func:`pipeline.vin.compare.cut_like`). With ``--read`` both reads are kept as reported
(``reads``) and as read (``reads_as_read``, before the check digit corrected any character),
which the replay compares; captures older than session 20 have only the former. Since
session 22 it also keeps both bands' reads as found (``reads_upright``): where they are the
same 17 characters the comparison turns nothing and takes no other row (``read_alike`` of
:func:`pipeline.vin.compare.compare_bands`), so neither is measured; the replay does the
same (older captures: where the reads as read agree).

``--windows`` also keeps every glyph's aligned window pair (what the glyph-pair network reads)
in ``tune.json.gz.windows.npz``; ``decide --model`` then scores them again with other
networks (the mean of their logits) before deciding, so a retrained network is judged on the
same pairs as the one in use (its scale from ``python -m pipeline.vin.calibrate``, given with
``--set design=... --set clone_design_onset=...``).
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.bench.rubbing import DISTURB_STREAM, candidate_photo
from pipeline.vin import compare, glyphnet
from pipeline.vin.band import Band, rectify, turned_band
from pipeline.vin.compare import Comparison, Thresholds
from pipeline.vin.evalgen import KINDS, pairs
from pipeline.vin.glyphs import Aligned, aligned_bands, aligned_self, measure, measure_across
from pipeline.vin.reading import read_band, read_upright
from pipeline.vin.rubbing import decode


@dataclass(frozen=True)
class Job:
    """One style group to capture: ``n`` pairs of ``style`` on ``seed``, and how."""

    seed: int
    style: str
    n: int
    disturb: str | None = None
    read: bool = False
    windows: bool = False
    keystone: float = 0.0
    turn: float = 0.0
    across: bool = False


# Glyphs measured against the reference's other stampings of their character by ``capture
# --across``: evidence from this share of the limit (below the comparison's ACROSS_FLOOR, so
# other thresholds can be replayed).
ACROSS_CAPTURE = 0.2

# Where a record keeps its raw measurements and, captured with windows, their window pairs.
WINDOW_KEYS = (("raw", "windows"), ("raw_turned", "windows_turned"))


def _measure_into(
    rec: dict[str, Any], raw_key: str, ref: Band, cand: Band, windows: bool
) -> Aligned:
    """``measure(ref, cand)`` into ``rec[raw_key]``, with ``windows`` the window pairs too
    (under the key ``WINDOW_KEYS`` pairs with it); the bands as aligned for it."""
    windows_key = dict(WINDOW_KEYS)[raw_key]
    wins: list[np.ndarray] | None = [] if windows else None
    aligned = aligned_bands(ref, cand)
    rec[raw_key] = measure(ref, cand, windows=wins, aligned=aligned)
    if wins is not None:
        rec[windows_key] = np.stack(wins).astype(np.float16)
    return aligned


def _given(raw: list[dict[str, float]] | None) -> Callable[[], list[dict[str, float]] | None]:
    """Kept measurements where the comparison asks for measurements to be taken."""
    return lambda: raw


def _capture_group(job: Job) -> list[dict[str, Any]]:
    """Raw measurements of one style group (``seed``, ``style``) of ``n`` pairs."""
    cv2.setNumThreads(1)
    ocr = None
    if job.read:
        from pipeline.ocr import RapidOcrEngine  # the OCR models only where reads are kept

        ocr = RapidOcrEngine()
    disturbing = np.random.default_rng([job.seed, DISTURB_STREAM])
    out = []
    for i, pair in enumerate(pairs(job.n, job.style, job.seed)):
        ref_img = decode(pair.reference)
        photo = candidate_photo(pair.candidate, disturbing, job.disturb, job.keystone, job.turn)
        cand_img = decode(photo)
        ref = rectify(ref_img) if ref_img is not None else None
        cand = rectify(cand_img) if cand_img is not None else None
        rec: dict[str, Any] = {"seed": job.seed, "index": i, "style": job.style,
                               "kind": pair.kind, "vin": pair.vin,
                               "positions": list(pair.positions)}  # fmt: skip
        read_ref, read_cand = ref, cand  # the bands as rectified, which OCR reads
        if ocr is not None and read_ref is not None and read_cand is not None and read_cand.boxes:
            got = read_band(read_ref, ocr), read_band(read_cand, ocr)
            rec["reads"] = [r.vin for r in got]
            rec["reads_as_read"] = [r.as_read for r in got]
            rec["reads_upright"] = [read_upright(b, ocr).as_read for b in (read_ref, read_cand)]
        cut = compare.cut_like(ref, cand) if ref is not None and cand is not None else None
        if cut is not None:  # one band not cut into 17: cut where the other's glyphs fall
            rec["cut"] = rec["across_on"] = cut[0]
            ref, cand = cut[1], cut[2]
        if ref is not None and cand is not None and ref.complete and cand.complete:
            aligned = _measure_into(rec, "raw", ref, cand, job.windows)
            first = compare.decide(rec["raw"], Thresholds())
            kept = ref  # the reference band as compared
            # Read alike, the comparison turns nothing and takes no other row.
            if compare.worth_turning(first) and cut is None and not _read_alike(rec):
                _measure_into(rec, "raw_turned", ref, turned_band(cand), job.windows)
                upright = compare.decide_upright(
                    rec["raw"], _given(rec["raw_turned"]), Thresholds()
                )
                if compare.worth_turning(upright):
                    # Each band's row taken otherwise (``compare.other_rows``).
                    ends = []
                    for which, r, c in compare.other_rows(ref, cand):
                        a = aligned_bands(r, c)
                        ends.append((which, r, a, measure(r, c, aligned=a)))
                    rec["raw_ends"] = [[which, raw] for which, _, _, raw in ends]
                    chosen, won = compare.with_other_rows(
                        upright, [(w, _given(raw)) for w, _, _, raw in ends], Thresholds()
                    )
                    if won >= 0:  # the glyphs measured against other stampings are these
                        first = chosen
                        rec["across_on"] = ends[won][0]
                        kept, aligned = ends[won][1], ends[won][2]
            if job.across:
                # Every glyph the comparison could measure so under other thresholds: from
                # ACROSS_CAPTURE of the limit (the comparison's floor is ACROSS_FLOOR).
                found = compare.across_pairs(first, pair.vin, ACROSS_CAPTURE)
                measured = measure_across(aligned, found)
                rec["across"] = [[i, j, r] for (i, j), r in zip(found, measured, strict=True)]
                own = measure_across(aligned_self(kept), found)
                rec["across_ref"] = [[i, j, r] for (i, j), r in zip(found, own, strict=True)]
        out.append(rec)
    return out


def capture(
    seeds: list[int],
    n: int,
    disturb: str | None = None,
    read: bool = False,
    procs: int = 1,
    windows: bool = False,
    keystone: float = 0.0,
    turn: float = 0.0,
    across: bool = False,
) -> list[dict[str, Any]]:
    """Records of ``n`` pairs per style A-D for each seed (style k on seed + k); with
    ``windows``, each record's window pairs as arrays (``windows``, ``windows_turned``)."""
    jobs = [
        Job(base + k, style, n, disturb, read, windows, keystone, turn, across)
        for base in seeds
        for k, style in enumerate("ABCD")
    ]
    if procs <= 1:
        return [r for job in jobs for r in _capture_group(job)]
    with Pool(procs) as pool:
        return [r for group in pool.imap(_capture_group, jobs) for r in group]


def save(records: list[dict[str, Any]], out: Path) -> None:
    """Write the records to ``out`` (gzipped JSON) and their windows, if any, beside it."""
    arrays = {}
    for i, rec in enumerate(records):
        for _, key in WINDOW_KEYS:
            if key in rec:
                arrays[f"{i}.{key}"] = rec.pop(key)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        json.dump(records, fh)
    if arrays:
        np.savez(windows_path(out), **arrays)


def windows_path(capture: Path) -> Path:
    return capture.with_name(capture.name + ".windows.npz")


def rescore(records: list[dict[str, Any]], capture: Path, models: list[Path]) -> None:
    """Replace the records' network logits with the mean of ``models``' on the kept windows."""
    from pipeline.ocr_models import single_thread_session

    path = windows_path(capture)
    if not path.exists():
        raise SystemExit(f"{path}: no windows kept (capture with --windows)")
    sessions = [single_thread_session(m) for m in models]
    with np.load(path) as arrays:
        for i, rec in enumerate(records):
            for raw_key, key in WINDOW_KEYS:
                if f"{i}.{key}" not in arrays:
                    continue
                x = arrays[f"{i}.{key}"]
                logit = np.mean([glyphnet.logits(x, s) for s in sessions], axis=0)
                for g, v in zip(rec[raw_key], logit, strict=True):
                    g["design"] = float(v)


def replay(rec: dict[str, Any], t: Thresholds, across: bool = True) -> Comparison:
    """The comparison's outcome for a captured record, as ``compare_to_band`` decides it."""
    raw = rec.get("raw")
    if raw is None:
        return Comparison("unreadable", 0.0, (), note="band not found or not 17 glyphs")
    alike = "cut" not in rec and _read_alike(rec)
    if "cut" in rec:  # as compare_bands compares a band cut where the other's glyphs fall
        result = compare.decide(raw, t)
        if compare.worth_turning(result):
            return Comparison("unreadable", 0.0, (), note="band not cut into 17 glyphs")
        result = replace(result, row=rec["cut"])
    elif alike:  # as compare_bands with read_alike: nothing turned, no other row
        result = compare.decide(raw, t)
    else:
        result = compare.decide_upright(raw, _given(rec.get("raw_turned")), t)
    ends = [] if alike else rec.get("raw_ends", [])
    result, won = compare.with_other_rows(result, [(w, _given(other)) for w, other in ends], t)
    if won >= 0:
        raw = ends[won][1]
    if across and "across" in rec and rec.get("across_on", "") == result.row:
        found = compare.across_pairs(result, rec["vin"])
        kept = {(i, j): r for i, j, r in rec["across"]}
        own = {(i, j): r for i, j, r in rec["across_ref"]}
        found = [p for p in found if p in kept]
        if found:
            grouped = compare.group_across(found, [kept[p] for p in found], [own[p] for p in found])
            result = compare.with_across(result, raw, grouped, t)
    # Captured before session 20: only the reads the check digit corrected.
    reads = rec.get("reads_as_read", rec.get("reads"))
    if reads:
        result = compare.with_text(result, reads[0], reads[1], rec["vin"])
    return result


def _read_alike(rec: dict[str, Any]) -> bool:
    """Whether both bands read alike as found (``compare.read_alike``); captures older than
    session 22 keep only the reads as read, which a film photographed upright reads as
    found."""
    reads = rec.get("reads_upright", rec.get("reads_as_read")) or [None, None]
    return compare.read_alike(reads[0], reads[1])


def tally(
    records: list[dict[str, Any]], t: Thresholds, across: bool = True
) -> dict[str, tuple[int, int]]:
    """(right, total) per kind: ``match`` right for genuine pairs, ``mismatch`` for the rest."""
    out = {k: (0, 0) for k in KINDS}
    for rec in records:
        verdict = replay(rec, t, across).verdict
        ok = verdict == ("match" if rec["kind"] == "genuine" else "mismatch")
        right, total = out[rec["kind"]]
        out[rec["kind"]] = (right + ok, total + 1)
    return out


def _thresholds(settings: list[str]) -> Thresholds:
    names = {f.name for f in fields(Thresholds)}
    over: dict[str, float] = {}
    for item in settings:
        name, _, value = item.partition("=")
        if name not in names:
            raise SystemExit(f"--set {item}: Thresholds has no {name!r}")
        over[name] = float(value)
    return replace(Thresholds(), **over)


def main(argv: list[str] | None = None) -> int:
    """``capture`` or ``decide``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("capture", help="measure bench pairs once")
    c.add_argument("out", type=Path)
    c.add_argument("--seeds", default="4242")
    c.add_argument("--pairs", type=int, default=150, help="pairs per style (default 150)")
    c.add_argument("--disturb", default=None)
    c.add_argument("--keystone", type=float, default=0.0, help="as bench rubbing --keystone")
    c.add_argument("--turn", type=float, default=0.0, help="as bench rubbing --turn")
    c.add_argument("--read", action="store_true", help="also keep both OCR reads")
    c.add_argument("--windows", action="store_true", help="also keep the glyph window pairs")
    c.add_argument("--procs", type=int, default=1)
    c.add_argument(
        "--across",
        action="store_true",
        help="also measure glyphs against the reference's other stampings of their character",
    )
    d = sub.add_parser("decide", help="decide captured pairs under given thresholds")
    d.add_argument("captures", type=Path, nargs="+")
    d.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    d.add_argument(
        "--model",
        action="append",
        default=[],
        type=Path,
        help="score the kept windows with this ONNX network instead (several: their mean)",
    )
    d.add_argument(
        "--without-across",
        action="store_true",
        help="ignore the measurements against other stampings (capture --across)",
    )
    args = p.parse_args(argv)
    if args.command == "capture":
        seeds = [int(s) for s in args.seeds.split(",")]
        records = capture(
            seeds,
            args.pairs,
            disturb=args.disturb,
            read=args.read,
            procs=args.procs,
            windows=args.windows,
            keystone=args.keystone,
            turn=args.turn,
            across=args.across,
        )
        save(records, args.out)
        print(f"{args.out}: {len(records)} pairs")
        return 0
    t = _thresholds(args.set)
    for path in args.captures:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            records = json.load(fh)
        if args.model:
            rescore(records, path, args.model)
        counts = tally(records, t, not args.without_across)
        right = sum(r for r, _ in counts.values())
        total = sum(n for _, n in counts.values())
        g_right, g_total = counts["genuine"]
        missed = ", ".join(f"{k} {n - r}/{n}" for k, (r, n) in counts.items() if k != "genuine")
        print(f"{path}: right {right}/{total}, genuine flagged {g_total - g_right}/{g_total}; "
              f"missed {missed}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
