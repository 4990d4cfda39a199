"""Completeness: every photo type required for the vehicle type is present."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.checks.base import Check, CheckContext, Result, failed, passed, register


@register
class Completeness(Check):
    """Fails with ``photo_missing`` (``rubbing_missing`` for J) for each required code absent."""

    name = "completeness"
    scope = "inspection"

    def check_inspection(self, ctx: CheckContext) -> Sequence[Result]:
        """One fail per missing required code, or one pass."""
        required = ctx.photo_types.required_codes(ctx.vehicle.vehicle_type)
        present = {i.code for i in ctx.manifest.evidence}
        missing = [c for c in required if c not in present]
        if not missing:
            return [passed(required=list(required))]
        out = []
        for code in missing:
            reason = "rubbing_missing" if code == "J" else "photo_missing"
            result = failed(
                reason,
                missing_code=code,
                name=ctx.photo_types.name_of(code),
                vehicle_type=ctx.vehicle.vehicle_type,
            )
            out.append(Result(result.outcome, result.reason, result.detail, code=code))
        return out
