"""Run the configured checks over a loaded package and apply the verdict policy."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from pipeline import __version__
from pipeline.checks.base import Check, CheckContext, Result, finding
from pipeline.package import LoadedItem, LoadedPackage
from pipeline.records import Finding, Vehicle, Verdict, verdict_of
from pipeline.services import Services

log = logging.getLogger(__name__)


def pipeline_version(services: Services) -> str:
    """Package version plus a digest of check params and tables: changes when results may."""
    return f"{__version__}+{services.settings.digest()}"


def run_checks(
    package: LoadedPackage, services: Services, *, only: Sequence[str] | None = None
) -> Verdict:
    """Run every configured check (or only those named) and return the verdict."""
    started = time.perf_counter()
    manifest = package.manifest
    registry = services.lookup_vehicle(manifest.vehicle.vin, manifest.vehicle.plate)
    vehicle: Vehicle = registry or manifest.vehicle
    ctx = CheckContext(
        package=package,
        vehicle=vehicle,
        registry=registry,
        services=services,
        tz=ZoneInfo(services.settings.timezone),
    )
    findings: list[Finding] = []
    wanted = set(only) if only else None
    for loaded in package.items:
        loaded.pixels_ready()  # a deferred photo is decoded here, just before its checks
        findings.extend(_decode_findings(loaded, wanted))
        for name in services.photo_types.checks_for(loaded.item.code):
            if wanted is not None and name not in wanted:
                continue
            check = services.check_for(name, loaded.item.code)
            if check.scope == "item" and check.applies_to(loaded):
                findings.extend(_run_one(check, ctx, loaded))
        loaded.release_pixels()  # and dropped after them (what the checks cached stays)
    for name in services.photo_types.inspection_checks:
        if wanted is None or name in wanted:
            findings.extend(_run_one(services.checks[name], ctx, None))
    elapsed = (time.perf_counter() - started) * 1000.0
    return Verdict(
        inspection_id=manifest.inspection_id,
        station_id=manifest.station_id,
        attempt=manifest.attempt,
        verdict=verdict_of([f.outcome for f in findings]),
        findings=tuple(findings),
        pipeline_version=pipeline_version(services),
        elapsed_ms=elapsed,
        manifest_sha256=package.manifest_sha256,
    )


def _decode_findings(loaded: LoadedItem, wanted: set[str] | None) -> list[Finding]:
    """The integrity finding every item gets: pass when read and decoded, else fail; review
    when the decoder had to skip corrupt data (the checks still judge the pixels it made)."""
    if wanted is not None and "decode" not in wanted:
        return []
    if loaded.error is None:
        detail: dict[str, object] = {}
        if loaded.image is not None:
            h, w = loaded.image.shape[:2]
            detail = {"width": w, "height": h}
        elif loaded.frames is not None:
            detail = {"frames": loaded.frames.count}
        if loaded.corrupt:
            detail["error"] = f"{loaded.item.file}: {loaded.corrupt}"
            return [finding("decode", Result("review", "evidence_corrupt", detail), loaded, 0.0)]
        return [finding("decode", Result("pass", None, detail), loaded, 0.0)]
    err = loaded.error
    return [finding("decode", Result("fail", err.reason, {"error": err.message}), loaded, 0.0)]


def _run_one(check: Check, ctx: CheckContext, loaded: LoadedItem | None) -> list[Finding]:
    t0 = time.perf_counter()
    try:
        if loaded is None:
            results: Sequence[Result] = check.check_inspection(ctx)
        else:
            out = check.check_item(ctx, loaded)
            results = [out] if isinstance(out, Result) else list(out)
    except Exception as exc:  # a crashing check must become a review finding, never a pass
        log.warning(
            "check %s crashed on %s/%s: %r",
            check.name,
            ctx.manifest.inspection_id,
            loaded.item.file if loaded else "-",
            exc,
            exc_info=True,
        )
        results = [Result("review", "check_error", {"error": f"{type(exc).__name__}: {exc}"})]
    elapsed = (time.perf_counter() - t0) * 1000.0
    share = elapsed / max(1, len(results))
    return [finding(check.name, r, loaded, share) for r in results]
