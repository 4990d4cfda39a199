"""Verify one package: load it with the configured limits, run the checks, return the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.package import LoadedPackage, PackageSource, load_package
from pipeline.records import Verdict
from pipeline.runner import run_checks
from pipeline.services import Services


def load(source: PackageSource, services: Services) -> LoadedPackage:
    """Load a package with the limits from settings; photos are decoded by the runner, one
    at a time (``run_checks``)."""
    lim = services.settings.limits
    return load_package(
        source,
        max_manifest_bytes=lim.max_manifest_bytes,
        max_items=lim.max_items,
        max_file_bytes=lim.max_file_bytes,
        max_pixels=lim.max_pixels,
        max_frames=lim.max_frames,
        decode=False,
    )


def verify_package(
    source: PackageSource, services: Services, *, only: Sequence[str] | None = None
) -> Verdict:
    """Load and check a package; ManifestError if the manifest is bad."""
    return run_checks(load(source, services), services, only=only)
