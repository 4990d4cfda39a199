"""Frozen records shared by every part of the pipeline: manifest, findings, verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Outcome = Literal["pass", "fail", "review"]
ItemKind = Literal["photo", "frames", "video"]
VerdictValue = Literal["pass", "fail", "review"]


@dataclass(frozen=True)
class Vehicle:
    """A vehicle record: from the manifest, or from the office's registry (the truth)."""

    plate: str
    plate_type: str
    vin: str
    vehicle_type: str
    use: str
    registered_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        """The manifest-shaped JSON object of this record."""
        return {
            "plate": self.plate,
            "plate_type": self.plate_type,
            "vin": self.vin,
            "vehicle_type": self.vehicle_type,
            "use": self.use,
            "registered_on": self.registered_on.isoformat() if self.registered_on else None,
        }


@dataclass(frozen=True)
class EvidenceItem:
    """One photo, document photo, frame folder or video named by the manifest."""

    code: str
    file: str
    kind: ItemKind = "photo"
    taken_at: datetime | None = None
    sha256: str | None = None
    fps: float | None = None


@dataclass(frozen=True)
class Manifest:
    """A parsed and validated ``inspection/1`` manifest."""

    schema: str
    inspection_id: str
    station_id: str
    lane: str
    attempt: int
    started_at: datetime
    finished_at: datetime
    vehicle: Vehicle
    evidence: tuple[EvidenceItem, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def items_with_code(self, code: str) -> tuple[EvidenceItem, ...]:
        """Every evidence item of one photo-type code, in manifest order."""
        return tuple(i for i in self.evidence if i.code == code)


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one evidence item (or on the whole inspection)."""

    file: str | None
    code: str | None
    check: str
    outcome: Outcome
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    # Images for reviewers (overlays, heatmaps, contact sheets): name -> encoded JPEG/PNG bytes.
    # Stored beside the result by whoever stores it; not part of the JSON.
    artifacts: Mapping[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The verdict-JSON form of DESIGN.md (without artifact bytes)."""
        out: dict[str, Any] = {
            "file": self.file,
            "code": self.code,
            "check": self.check,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": dict(self.detail),
        }
        out["elapsed_ms"] = round(self.elapsed_ms, 2)
        return out


@dataclass(frozen=True)
class Verdict:
    """The per-inspection result: the verdict, its findings, and how it was made."""

    inspection_id: str
    station_id: str
    attempt: int
    verdict: VerdictValue
    findings: tuple[Finding, ...]
    pipeline_version: str
    elapsed_ms: float
    manifest_sha256: str | None = None

    @property
    def flagged(self) -> bool:
        """True when a reviewer must see it (fail or review)."""
        return self.verdict != "pass"

    def reasons(self) -> list[str]:
        """The reason codes of non-passing findings, in order, without repeats."""
        seen: dict[str, None] = {}
        for f in self.findings:
            if f.outcome != "pass" and f.reason:
                seen.setdefault(f.reason, None)
        return list(seen)

    def to_json(self, *, include_passes: bool = True) -> dict[str, Any]:
        """The verdict JSON of DESIGN.md."""
        findings = [f.to_json() for f in self.findings if include_passes or f.outcome != "pass"]
        return {
            "inspection_id": self.inspection_id,
            "station_id": self.station_id,
            "attempt": self.attempt,
            "verdict": self.verdict,
            "findings": findings,
            "pipeline_version": self.pipeline_version,
            "manifest_sha256": self.manifest_sha256,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def verdict_of(outcomes: list[Outcome] | tuple[Outcome, ...]) -> VerdictValue:
    """The verdict policy: fail if any finding fails, else review if any needs review, else pass."""
    if "fail" in outcomes:
        return "fail"
    if "review" in outcomes:
        return "review"
    return "pass"


def verdict_from_json(doc: Mapping[str, Any]) -> Verdict:
    """Rebuild a :class:`Verdict` from its JSON form (as stored or published)."""
    findings = tuple(
        Finding(
            file=f.get("file"),
            code=f.get("code"),
            check=str(f["check"]),
            outcome=f["outcome"],
            reason=f.get("reason"),
            detail=dict(f.get("detail") or {}),
            elapsed_ms=float(f.get("elapsed_ms") or 0.0),
        )
        for f in doc.get("findings", [])
    )
    return Verdict(
        inspection_id=str(doc["inspection_id"]),
        station_id=str(doc["station_id"]),
        attempt=int(doc.get("attempt", 1)),
        verdict=doc["verdict"],
        findings=findings,
        pipeline_version=str(doc["pipeline_version"]),
        elapsed_ms=float(doc.get("elapsed_ms") or 0.0),
        manifest_sha256=doc.get("manifest_sha256"),
    )
