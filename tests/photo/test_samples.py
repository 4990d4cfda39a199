"""The six photo checks on the sample packages of the other generator (pipeline/samplegen).

Package-level expectations only (the generator decides which photo carries a defect), so the
test holds when the samples are regenerated: a clean package gets no ``fail`` from these
checks, and each planted defect is caught by the check that owns it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.package import LocalPackage
from pipeline.services import Services
from pipeline.verify import verify_package
from tests.photo.conftest import PROJECT

SAMPLES = PROJECT / "samples" / "packages"
MINE = ["quality", "watermark_date", "exif_time", "plate_match", "photo_reuse", "editing_traces"]


def _package(name: str) -> Path:
    path = SAMPLES / name
    if not (path / "manifest.json").exists():
        pytest.skip(f"sample package {name} not generated")
    return path


def _fails(services: Services, name: str) -> set[tuple[str, str | None]]:
    verdict = verify_package(LocalPackage(_package(name)), services, only=MINE)
    return {(f.check, f.reason) for f in verdict.findings if f.outcome == "fail"}


def test_sample_packages(home: Path) -> None:
    services = Services(load_settings())
    try:
        assert _fails(services, "01-clean") == set()
        assert ("plate_match", "plate_mismatch") in _fails(services, "02-plate_mismatch")
        assert ("watermark_date", "watermark_date_mismatch") in _fails(
            services, "03-watermark_date_mismatch"
        )
        # 08 reuses a photo of 01, which was verified (and banked) above.
        assert ("photo_reuse", "photo_reused") in _fails(services, "08-photo_reused")
        assert ("quality", "blurry") in _fails(services, "09-blurry")
    finally:
        services.close()
