"""``inspectpipe rubbing compare REF CAND --vin VIN [--json]`` and ``--pairs CSV --jsonl``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

from pipeline.cli.app import App
from pipeline.errors import UsageError
from pipeline.ocr import OcrEngine
from pipeline.vin import rules
from pipeline.vin.band import Band, rectify
from pipeline.vin.rubbing import RubbingResult, compare_images, compare_to_band, decode


def register(sub: Any) -> None:
    """Add ``rubbing compare``."""
    p: argparse.ArgumentParser = sub.add_parser("rubbing", help="VIN rubbing tools")
    rsub = p.add_subparsers(dest="rubbing_command", metavar="COMMAND")
    rsub.required = True
    c = rsub.add_parser("compare", help="compare a candidate rubbing with a reference rubbing")
    c.add_argument("reference", nargs="?", metavar="REF", help="reference rubbing image")
    c.add_argument("candidate", nargs="?", metavar="CAND", help="candidate rubbing image")
    c.add_argument(
        "--vin",
        help="the registered VIN of the vehicle: the JSON says whether the read agrees, and a "
        "read difference where the reference misreads it is not counted",
    )
    c.add_argument("--pairs", metavar="CSV", help="CSV with columns reference,candidate,vin")
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the result as JSON")
    fmt.add_argument("--jsonl", action="store_true", help="one JSON object per pair")
    c.add_argument("--overlay", metavar="PATH", help="write the reviewer's overlay JPEG here")
    c.add_argument("--no-read", action="store_true", help="skip reading the VIN (faster)")
    c.set_defaults(func=run_compare)


def _load(path: Path) -> Any:
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    return decode(path.read_bytes())


def _one(
    ref: Path, cand: Path, ocr: OcrEngine | None, overlay: bool, vin: str | None
) -> RubbingResult:
    return compare_images(_load(ref), _load(cand), ocr=ocr, overlay=overlay, vin=vin)


class ReferenceBands:
    """Reference bands of a ``--pairs`` run, each rectified (and read) once.

    A CSV usually names one reference for several candidates; the band is kept by the file's
    resolved path and is made again when the file changed (size or modification time). At
    most ``size`` are kept, the least recently used dropped first.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._bands: OrderedDict[Path, tuple[tuple[int, int], Band | None]] = OrderedDict()

    def get(self, path: Path) -> Band | None:
        """The rectified band of the reference photo at ``path`` (None: no band found)."""
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        key, stat = path.resolve(), path.stat()
        seen = (stat.st_size, stat.st_mtime_ns)
        kept = self._bands.get(key)
        if kept is not None and kept[0] == seen:
            self._bands.move_to_end(key)
            return kept[1]
        pixels = _load(path)
        band = rectify(pixels) if pixels is not None else None
        self._bands[key] = (seen, band)
        if len(self._bands) > self.size:
            self._bands.popitem(last=False)
        return band


def _check_vin(vin: str | None) -> None:
    if vin is not None and not rules.is_wellformed(vin.strip().upper()):
        raise UsageError(f"--vin {vin!r} is not a VIN (17 characters of 0-9 A-Z without I, O, Q)")


def run_compare(args: argparse.Namespace, app: App) -> int:
    """Compare one pair or every pair of a CSV, in order."""
    ocr = None if args.no_read else app.services.ocr
    if args.pairs:
        if args.reference or args.candidate:
            raise UsageError("give REF CAND or --pairs CSV, not both")
        return _run_pairs(Path(args.pairs), ocr, args)
    if not (args.reference and args.candidate):
        raise UsageError("rubbing compare needs REF and CAND (or --pairs CSV)")
    _check_vin(args.vin)
    result = _one(Path(args.reference), Path(args.candidate), ocr, bool(args.overlay), args.vin)
    if args.overlay and result.overlay:
        Path(args.overlay).write_bytes(result.overlay)
    doc = result.to_json(args.reference, args.candidate)
    _annotate_vin(doc, args.vin)
    if args.json or args.jsonl:
        print(json.dumps(doc, ensure_ascii=False, indent=None if args.jsonl else 2))
    else:
        _print_human(doc)
    return 0


def _annotate_vin(doc: dict[str, Any], vin: str | None) -> None:
    """Say whether the read VIN agrees with the registered one (the verdict is by shape; the
    VIN only keeps a reference misread out of the read comparison)."""
    if vin and doc["vin_read"] is not None:
        doc["vin_matches"] = doc["vin_read"] == vin.strip().upper()


def _run_pairs(csv_path: Path, ocr: OcrEngine | None, args: argparse.Namespace) -> int:
    if not csv_path.is_file():
        raise UsageError(f"{csv_path}: no such file")
    base = csv_path.parent
    with csv_path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"reference", "candidate"} <= set(rows[0]):
        raise UsageError(f"{csv_path}: needs columns reference,candidate,vin")
    docs = []
    references = ReferenceBands()
    for row in rows:
        ref, cand = row["reference"], row["candidate"]
        try:
            ref_band = references.get(base / ref)
            result = compare_to_band(
                ref_band, _load(base / cand), ocr=ocr, overlay=False, vin=row.get("vin")
            )
            doc = result.to_json(ref, cand)
        except UsageError as exc:
            print(f"inspectpipe: {exc}", file=sys.stderr)
            doc = {"verdict": "unreadable", "score": 0.0, "vin_read": None, "suspect_positions": [],
                   "reference": ref, "candidate": cand, "note": str(exc)}  # fmt: skip
        _annotate_vin(doc, row.get("vin"))
        if args.json:
            docs.append(doc)
        else:
            print(json.dumps(doc, ensure_ascii=False), flush=True)
    if args.json:
        print(json.dumps(docs, ensure_ascii=False, indent=2))
    return 0


def _print_human(doc: dict[str, Any]) -> None:
    print(f"verdict   {doc['verdict']}  (score {doc['score']:.2f})")
    print(f"vin read  {doc['vin_read'] or '-'}")
    positions = ", ".join(str(i + 1) for i in doc["suspect_positions"]) or "-"
    print(f"suspects  {positions}  {doc.get('note', '')}")
