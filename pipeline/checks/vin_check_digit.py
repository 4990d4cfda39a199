"""VIN check digit: the registered VIN carries the GB 16735 Annex A check digit.

Imported vehicles may legally lack one, so an invalid digit is a reason to look (``review``),
never a rejection.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.checks.base import Check, CheckContext, Result, passed, register, review
from pipeline.vin import rules


@register
class VinCheckDigit(Check):
    """Reviews a registered VIN that is malformed or whose position 9 is not its check digit."""

    name = "vin_check_digit"
    scope = "inspection"

    def check_inspection(self, ctx: CheckContext) -> Sequence[Result]:
        """Validate the record's VIN."""
        vin = ctx.vehicle.vin.strip().upper()
        if not rules.is_wellformed(vin):
            return [review("vin_check_digit_invalid", vin=vin, problem="not 17 VIN characters")]
        expected = rules.check_digit(vin)
        if vin[rules.CHECK_INDEX] != expected:
            return [review("vin_check_digit_invalid", vin=vin, found=vin[8], expected=expected)]
        return [passed(vin=vin, wmi=rules.wmi(vin), model_year=rules.model_year(vin))]
