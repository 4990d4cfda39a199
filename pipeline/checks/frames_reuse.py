"""Frames reused from another inspection: sampled frames looked up in the photo-hash bank.

Every ``sample_seconds`` one frame is looked up (pHash + a digest of its analysis pixels);
around each hit the frames between its neighbours are looked up too, to name the reused range.
Only runs of matches with one time shift over a changing picture count
(:mod:`pipeline.frames.reuse`): single look-alike frames of the same bay are expected. A run of
identical frames fails; a run of pHash look-alikes goes to a person (``near_outcome``).
The sampled frames are then added to the bank (``frame`` = index) so later inspections can be
checked against this one. Without a configured bank the check passes with ``skipped``: the
within-sequence checks do not depend on it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.checks.base import (
    Check,
    CheckContext,
    Params,
    Result,
    failed,
    passed,
    register,
    review,
)
from pipeline.errors import ConfigError
from pipeline.frames.loops import MIN_SPREAD
from pipeline.frames.report import sheet, span
from pipeline.frames.reuse import reuse_runs
from pipeline.frames.scan import Scan, get_scan
from pipeline.hashbank import HashRecord, Match, Probe
from pipeline.package import LoadedItem


class FramesReuseParams(Params):
    """``fail_distance`` as in ``photo_reuse``; ``min_hits`` frames matched in order fail."""

    sample_seconds: float = Field(default=1.0, gt=0)
    max_lookups: int = Field(default=60, ge=1)
    fail_distance: int = Field(default=2, ge=0, le=16)
    min_hits: int = Field(default=2, ge=1)
    near_outcome: Literal["review", "fail"] = "review"  # runs of pHash (not pixel) matches
    add: bool = True


def hash_bank(ctx: CheckContext) -> Any:
    """The configured hash bank, or None."""
    try:
        bank = getattr(ctx.services, "hash_bank", None)
    except ConfigError:
        bank = None
    return bank if bank is not None else ctx.services.get("hash_bank")


@register
class FramesReuse(Check):
    """Fails ``frames_reused`` naming the reused frame range and the inspection it comes from."""

    name = "frames_reuse"
    kinds = frozenset({"frames", "video"})
    params_model = FramesReuseParams
    params: FramesReuseParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Look up sampled frames, refine around hits, then add the samples to the bank."""
        bank = hash_bank(ctx)
        if bank is None:
            return passed(skipped="no hash bank configured")
        p = self.params
        scan = get_scan(item)
        stride = max(1, round(p.sample_seconds * scan.sample_hz), -(-scan.n // p.max_lookups))
        coarse = list(range(0, scan.n, stride))
        found = self._lookup(ctx, bank, scan, coarse)
        hits = {j: found[j] for j in coarse if found[j]}
        # Refine: the samples between each hit and its neighbours, looked up together.
        around = {
            j: [k for k in range(max(0, j - stride + 1), min(scan.n, j + stride)) if k not in hits]
            for j in hits
        }
        # ... then the coarse samples are added, in the same transaction.
        records = self._records(ctx, item, scan, coarse) if p.add else []
        found = self._lookup(
            ctx, bank, scan, sorted({k for ks in around.values() for k in ks}), records
        )
        for ks in around.values():
            for k in ks:
                if found[k] and k not in hits:
                    hits[k] = found[k]
        return self._decide(item, scan, hits, looked_up=len(coarse))

    def _lookup(
        self,
        ctx: CheckContext,
        bank: Any,
        scan: Scan,
        samples: list[int],
        add: list[HashRecord] | None = None,
    ) -> dict[int, list[Match]]:
        """Bank matches of the given samples, in one lookup (then ``add`` stored)."""
        probes = [
            Probe(_sha(scan, j), int(scan.phash[j]), self.params.fail_distance) for j in samples
        ]
        exclude = ctx.manifest.inspection_id
        if add is None:
            found = bank.lookup_many(probes, exclude_inspection=exclude)
        else:
            found = bank.lookup_and_add(probes, add, exclude_inspection=exclude)
        return dict(zip(samples, found, strict=True))

    def _records(
        self, ctx: CheckContext, item: LoadedItem, scan: Scan, samples: list[int]
    ) -> list[HashRecord]:
        m = ctx.manifest
        return [
            HashRecord(
                _sha(scan, j), int(scan.phash[j]), m.inspection_id, m.attempt, m.station_id,
                m.vehicle.vin, item.item.file, item.item.code, frame=int(scan.index[j]),
            )
            for j in samples
        ]  # fmt: skip

    def _decide(
        self, item: LoadedItem, scan: Scan, hits: dict[int, list[Match]], looked_up: int
    ) -> Result:
        runs = reuse_runs(hits, scan.index, scan.phash, MIN_SPREAD)
        long_runs = [r for r in runs if len(r.samples) >= self.params.min_hits]
        if not long_runs:
            # Single look-alike frames (same bay, same camera) are not evidence of reuse.
            return passed(frames_looked_up=looked_up, look_alike_frames=len(hits))
        run = long_runs[0]
        first, last = int(scan.index[run.samples[0]]), int(scan.index[run.samples[-1]])
        # Identical pixels are a copy. A pHash-only run is footage that looks the same frame
        # by frame: a copy re-encoded, or the same model of vehicle driving the same lane
        # (measured: two buses of different colours, same lane camera, 1-2 bits apart).
        copied = run.exact_frames >= self.params.min_hits
        outcome = failed if copied or self.params.near_outcome == "fail" else review
        res = outcome(
            "frames_reused",
            **span(scan, first, last),
            inspection_id=run.inspection_id,
            attempt=run.attempt,
            file=run.file,
            exact=copied,
            identical_frames=run.exact_frames,
            matched=[[int(scan.index[j]), f] for j, f in zip(run.samples, run.frames, strict=True)],
            # the bank holds one frame per ``sample_seconds`` of the other clip: the ends
            # of the reused stretch are known to that resolution
            resolution_seconds=self.params.sample_seconds,
            other_runs=[
                {"inspection_id": r.inspection_id, "file": r.file, "frames": len(r.samples)}
                for r in long_runs[1:5]
            ],
        )
        return Result(res.outcome, res.reason, res.detail, sheet(item, scan, (first, last)))


def _sha(scan: Scan, j: int) -> str:
    """The bank's ``sha256`` key for a frame: a digest of its analysis pixels."""
    return "frame:" + scan.digest[j].hex()
