"""Property tests for the VIN rules and the check digit (GB 16735 Annex A)."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from pipeline.vin import rules

ALPHABET = "".join(sorted(rules.ALPHABET))
vin_bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(vin_bodies)
def test_with_check_digit_is_always_valid(body: str) -> None:
    vin = rules.with_check_digit(body)
    assert rules.check_digit_ok(vin)
    assert vin[:8] == body[:8] and vin[9:] == body[9:]


@given(vin_bodies, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_single_substitution_is_caught_unless_values_collide(body: str, pos: int, ch: str) -> None:
    vin = rules.with_check_digit(body)
    assume(pos != rules.CHECK_INDEX and vin[pos] != ch)
    altered = vin[:pos] + ch + vin[pos + 1 :]
    same_value = rules.transliterate(ch) == rules.transliterate(vin[pos])
    # Weights are non-zero mod 11 (a prime) off position 9: only equal values slip through.
    assert rules.check_digit_ok(altered) == same_value


@given(st.text(alphabet=string.ascii_letters + string.digits + " -:", max_size=40))
def test_clean_keeps_only_the_vin_alphabet(text: str) -> None:
    out = rules.clean(text)
    assert all(c in rules.ALPHABET for c in out)
    assert not set(out) & set("IOQ")


@given(vin_bodies)
def test_arbitrate_keeps_valid_reads_and_changes_at_most_one(body: str) -> None:
    vin = rules.with_check_digit(body)
    assert rules.arbitrate(vin).text == vin
    broken = vin[:3] + ("8" if vin[3] != "8" else "B") + vin[4:]
    fix = rules.arbitrate(broken)
    assert len([i for i in range(17) if fix.text[i] != broken[i]]) <= 1
    assert fix.check_ok == rules.check_digit_ok(fix.text)


@given(vin_bodies)
def test_fix_serial_only_touches_the_last_four(body: str) -> None:
    fixed = rules.fix_serial(body)
    if fixed is not None:
        assert fixed[:13] == body[:13]
        assert fixed[13:].isdigit()


def test_known_vins() -> None:
    for vin in ("LSVAM4187C2184847", "1C3APE9LX5X056928", "LVVDD14B4AD359021"):
        assert rules.check_digit_ok(vin)
    assert rules.check_digit("1M8GDM9AXKP042788") == "X"
    assert not rules.check_digit_ok("LSVAM4188C2184847")
    assert not rules.is_wellformed("LSVAM4187C218484O")  # O is not allowed
    assert rules.wmi("LSVAM4187C2184847") == "LSV"
    assert rules.model_year("LSVAM4187C2184847", latest=2027) == 2012
