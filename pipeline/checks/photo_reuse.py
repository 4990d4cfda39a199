"""Photo reuse: the same or a near-identical photo already received in another inspection.

Each photo is looked up in the hash bank (sha256 and 64-bit pHash, multi-index bands), then
added to it, so the bank holds every photo checked (see :mod:`pipeline.hashbank` for the
idempotency and self-exclusion rules). A horizontally mirrored copy is looked up too.

Distances (Hamming, 64-bit pHash) were chosen from measurements (README): re-encodes and
resizes of one photo stay at 0-2 bits; a consecutive shot of the same car in the same bay
(1-5 % camera shift or zoom) lands at 2-14 bits, most often above 5. So: same sha256, or
distance <= ``fail_distance`` to a photo of the same type (code), fails; up to
``review_distance`` (or that close to another type) is ``review``; further passes.
The band index guarantees every stored hash within 3 bits is found; 4-5 bits are found only
when they happen to share a band, so the review band is best effort.
"""

from __future__ import annotations

from typing import Any

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
from pipeline.hashbank import HashBank, HashRecord, Match, PhotoKey, Probe
from pipeline.package import LoadedItem
from pipeline.photo.phash import phash_pair


class PhotoReuseParams(Params):
    """Hamming-distance bands; ``add`` stores checked photos in the bank."""

    fail_distance: int = Field(default=2, ge=0, le=16)
    review_distance: int = Field(default=5, ge=0, le=16)
    check_mirrored: bool = True
    add: bool = True


def photo_hash(item: LoadedItem) -> tuple[int, int]:
    """The photo's pHash and its mirror's, computed once and shared through ``item.cache``."""
    cached = item.cache.get("phash")
    if cached is None:
        cached = phash_pair(item.gray)
        item.cache["phash"] = cached
    pair: tuple[int, int] = cached
    return pair


@register
class PhotoReuse(Check):
    """Looks each photo up in the hash bank, then adds it."""

    name = "photo_reuse"
    params_model = PhotoReuseParams
    params: PhotoReuseParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Fail on exact/near-identical matches in other inspections; review borderline."""
        bank = ctx.services.hash_bank
        if bank is None:
            raise ConfigError("photo_reuse needs a hash bank (configure [database])")
        assert item.sha256 is not None
        p = self.params
        value, flipped = photo_hash(item)
        m = ctx.manifest
        # On a reprocess, compare only with photos stored before this one first was. The
        # photo and its mirror image are looked up together (one round trip when nothing
        # is near), then the photo is added, in the same transaction.
        probes = [Probe(item.sha256, value, p.review_distance)]
        if p.check_mirrored:
            probes.append(Probe("", flipped, p.fail_distance))
        record = HashRecord(
            item.sha256, value, m.inspection_id, m.attempt, m.station_id, m.vehicle.vin,
            item.item.file, item.item.code,
        )  # fmt: skip
        found = bank.lookup_and_add(
            probes,
            [record] if p.add else [],
            exclude_inspection=m.inspection_id,
            before_first_of=PhotoKey(m.inspection_id, m.attempt, item.item.file),
        )
        matches, mirrored = found[0], found[1] if p.check_mirrored else []
        return self._decide(value, matches, mirrored, item.item.code)

    def _decide(self, value: int, matches: list[Match], mirrored: list[Match], code: str) -> Result:
        p = self.params
        detail: dict[str, Any] = {"phash": f"{value:016x}"}
        # A near-identical hash of another photo *type* fails only when the bytes are the
        # same: 64 bits of coarse layout also bring two different vehicles shot from other
        # sides of one kind of hall within 2 bits (seen: a red bus's 0111 and a brown bus's
        # 0112 from another station, 2 bits apart), so those go to a person.
        hard = [x for x in matches if x.exact or (x.distance <= p.fail_distance and x.code == code)]
        if hard:
            return failed("photo_reused", **_about(hard), exact=hard[0].exact, **detail)
        if mirrored:
            return failed("photo_reused", **_about(mirrored), mirrored=True, **detail)
        if matches:
            other = any(x.distance <= p.fail_distance and x.code != code for x in matches)
            extra = {"other_type": True} if other else {}
            return review("photo_similar", **_about(matches), **extra, **detail)
        return passed(**detail)


__all__ = ["HashBank", "PhotoReuse", "photo_hash"]


def _about(found: list[Match]) -> dict[str, Any]:
    """The detail naming the closest match (and up to five) for a reuse finding."""
    best = found[0]
    return {
        "inspection_id": best.inspection_id,
        "file": best.file,
        "distance": best.distance,
        "matches": [x.to_json() for x in found[:5]],
    }
