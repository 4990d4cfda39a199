"""What decides one generated package: the plan (who, when, what) and the planted tweaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pipeline.records import Vehicle
from pipeline.samplegen.stamp import DieStyle

CST = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True)
class PackagePlan:
    """One inspection to generate. The same plan always yields the same package."""

    folder: str
    index: int
    seed: int
    defect: str  # "clean" or a defect name from pipeline.samplegen.defects.DEFECTS
    inspection_id: str
    station_id: str
    started: datetime
    vehicle: Vehicle  # the registry record (truth)
    codes: tuple[str, ...]  # photo-type codes to produce, in shooting order
    size: tuple[int, int] = (1280, 720)
    quality: int = 80
    document_quality_drop: int = 0  # document-camera (高拍仪) photos are often squeezed harder
    noise: float = 3.0
    frame_count: int = 12
    fps: float = 1.0
    frame_size: tuple[int, int] = (640, 360)
    with_sha256: bool = False
    lane: str = "1"
    attempt: int = 1


@dataclass
class Tweaks:
    """Deviations from a clean package that plant one defect (empty = clean)."""

    shown_plate: str | None = None  # plate drawn on the vehicle instead of the registered one
    shown_vin: str | None = None  # VIN stamped in the 0113 photo instead of the registered one
    rubbing_die: DieStyle | None = None  # die used for the J rubbing instead of the vehicle's
    watermark_days: dict[str, int] = field(default_factory=dict)  # code -> days shifted
    time_shift: dict[str, timedelta] = field(default_factory=dict)  # code -> capture time shift
    drop: set[str] = field(default_factory=set)  # codes left out of the package
    blur: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> (motion|defocus, px)
    truncate: dict[str, float] = field(default_factory=dict)  # code -> fraction of bytes kept
    frames: dict[str, str] = field(default_factory=dict)  # code -> short | frozen | static
    reuse: dict[str, tuple[bytes, datetime]] = field(default_factory=dict)  # code -> (jpeg, time)


def merge_tweaks(a: Tweaks, b: Tweaks) -> Tweaks:
    """Both sets of tweaks in one package (for combined defects on different codes)."""
    return Tweaks(
        shown_plate=b.shown_plate or a.shown_plate,
        shown_vin=b.shown_vin or a.shown_vin,
        rubbing_die=b.rubbing_die or a.rubbing_die,
        watermark_days={**a.watermark_days, **b.watermark_days},
        time_shift={**a.time_shift, **b.time_shift},
        drop=a.drop | b.drop,
        blur={**a.blur, **b.blur},
        truncate={**a.truncate, **b.truncate},
        frames={**a.frames, **b.frames},
        reuse={**a.reuse, **b.reuse},
    )
