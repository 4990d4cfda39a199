"""The inspection-cycle table on its boundaries, read from the shipped config/cycles.toml."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.config import load_settings
from pipeline.errors import ConfigError
from pipeline.retention.cycles import CycleTable, add_months, load_cycle_table, schedule
from pipeline.retention.policy import cycle_table, explain


@pytest.fixture(scope="module")
def table() -> CycleTable:
    return cycle_table(load_settings(env={}))


def due(table: CycleTable, vtype: str, use: str, registered: str, inspected: str) -> str:
    e = explain(table, vtype, use, date.fromisoformat(registered), date.fromisoformat(inspected), 0)
    return e.next_due.isoformat()


def test_codes_map_to_classes(table: CycleTable) -> None:
    assert table.vehicle_class("K33") == "small_passenger"
    assert table.vehicle_class("K39") == "van" and table.vehicle_class("K49") == "van"
    assert table.vehicle_class("K11") == "large_passenger"
    assert table.vehicle_class("K38") == "school_bus"
    assert [table.vehicle_class(c) for c in ("H11", "H23", "H31", "H41")] == ["truck"] * 4
    assert table.vehicle_class("M21") == "motorcycle"
    assert table.vehicle_class("??") == "other"
    assert table.use_class("A") == "private" and table.use_class("D") == "commercial"
    assert table.use_class("F") == "freight" and table.use_class("S") == "school_bus"
    assert table.use_class("unknown") == "other"


@pytest.mark.parametrize(
    ("vtype", "use", "inspected", "expected"),
    [
        # 小型非营运 (2022): line inspections at 6 and 10 years, yearly after 10, no half-years.
        ("K33", "A", "2022-01-31", "2022-05-01"),  # before the 3-month window: the 6-year one
        ("K33", "A", "2022-04-30", "2026-05-01"),  # the day before turning 6 counts for year 6
        ("K33", "A", "2022-05-01", "2026-05-01"),  # turning 6 → next line inspection at 10
        ("K33", "A", "2026-05-01", "2027-05-01"),  # turning 10 → yearly
        ("K43", "A", "2031-05-01", "2032-05-01"),  # turning 15: still yearly (2022 reform)
        ("K33", "A", "2017-06-01", "2022-05-01"),  # year 2 and 4 are label-only (免检)
        # 营运载客: yearly within 5 years, then every 6 months.
        ("K33", "B", "2020-05-01", "2021-05-01"),
        ("K33", "D", "2021-05-01", "2021-11-01"),  # turning 5
        ("K33", "T", "2022-05-01", "2022-11-01"),  # turning 6
        ("K11", "E", "2031-05-01", "2031-11-01"),  # turning 15
        # 载货汽车 and large/medium non-commercial: yearly within 10, then every 6 months.
        ("H11", "F", "2022-05-01", "2023-05-01"),
        ("H31", "F", "2026-05-01", "2026-11-01"),  # turning 10
        ("K21", "A", "2025-05-01", "2026-05-01"),  # turning 6: nothing changes
        ("K11", "A", "2026-05-01", "2026-11-01"),  # turning 10
        # 面包车, outside the reforms: every 2 years within 6, yearly, every 6 months after 15.
        ("K39", "A", "2022-05-01", "2023-05-01"),  # turning 6
        ("K49", "A", "2031-05-01", "2031-11-01"),  # turning 15
        # 摩托车: every 2 years within 4, then yearly.
        ("M21", "A", "2018-05-01", "2020-05-01"),
        ("M22", "A", "2020-05-01", "2021-05-01"),  # turning 4
        # 校车: every 6 months, by type or by use.
        ("K38", "A", "2022-05-01", "2022-11-01"),
        ("K11", "S", "2017-05-01", "2017-11-01"),
        # Others: yearly.
        ("X99", "A", "2022-05-01", "2023-05-01"),
    ],
)
def test_next_due_on_the_boundaries(
    table: CycleTable, vtype: str, use: str, inspected: str, expected: str
) -> None:
    assert due(table, vtype, use, "2016-05-01", inspected) == expected


def test_commercial_and_private_differ_on_the_same_day(table: CycleTable) -> None:
    # A K33 turning 6: 营运 comes back in 6 months, 非营运 in 4 years.
    assert due(table, "K33", "B", "2016-05-01", "2022-05-01") == "2022-11-01"
    assert due(table, "K33", "A", "2016-05-01", "2022-05-01") == "2026-05-01"


def test_leap_day_registrations(table: CycleTable) -> None:
    assert add_months(date(2020, 2, 29), 12) == date(2021, 2, 28)
    assert add_months(date(2020, 2, 29), 48) == date(2024, 2, 29)
    assert add_months(date(2019, 8, 31), 6) == date(2020, 2, 29)
    assert due(table, "K33", "A", "2020-02-29", "2026-02-28") == "2030-02-28"
    assert due(table, "K33", "B", "2020-02-29", "2025-02-28") == "2025-08-29"
    assert due(table, "M21", "A", "2020-02-29", "2022-02-28") == "2024-02-29"
    # Half-years keep counting from the registration day, not from a clamped date.
    assert due(table, "K38", "A", "2019-08-31", "2020-02-29") == "2020-08-31"


def test_retain_until_is_next_due_plus_grace(table: CycleTable) -> None:
    e = explain(table, "K33", "A", date(2019, 5, 1), date(2026, 11, 23), 90)
    assert (e.cycle, e.next_due, e.next_label_only) == (
        "small_private",
        date(2029, 5, 1),
        date(2027, 5, 1),
    )
    assert e.retain_until == date(2029, 5, 1) + timedelta(days=90)


def test_unknown_registration_uses_the_fallback(table: CycleTable) -> None:
    e = explain(table, "K33", "A", None, date(2026, 11, 23), 10)
    assert e.next_due == date(2027, 11, 23) and e.next_due_age_months is None


@given(
    registered=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    offset=st.integers(min_value=0, max_value=40 * 366),
    vtype=st.sampled_from(["K33", "K39", "K11", "H21", "M21", "K38", "X1"]),
    use=st.sampled_from(["A", "B", "F", "S"]),
)
def test_next_due_properties(
    table: CycleTable, registered: date, offset: int, vtype: str, use: str
) -> None:
    inspected = registered + timedelta(days=offset)
    e = explain(table, vtype, use, registered, inspected, 0)
    # After the inspection, and beyond the early window in which it would have counted.
    assert add_months(e.next_due, -table.early_window_months) > inspected
    assert e.next_due_age_months is not None and e.next_due_age_months % 6 == 0
    # On the registration anniversary or the half-year after it (clamped to the month's end).
    assert e.next_due == add_months(registered, e.next_due_age_months)
    # Never further than the longest gap to a line inspection (new car → year 6) + window.
    assert e.next_due <= add_months(inspected, 72 + table.early_window_months)


def test_schedule_of_the_2022_reform(table: CycleTable) -> None:
    cycle = table.cycles["small_private"]
    dues = [(d.months // 12, d.line) for d in schedule(cycle, date(2020, 1, 1)) if d.months <= 144]
    assert dues == [
        (2, False),
        (4, False),
        (6, True),
        (8, False),
        (10, True),
        (11, True),
        (12, True),
    ]


def test_bad_table_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "cycles.toml"
    bad.write_text(
        'default_cycle = "x"\n[vehicle_classes]\n[use_classes]\nrules = []\n'
        "[cycles.x]\nlabel = 'x'\nstages = [{ until_years = 5, every_months = 7 }, "
        "{ every_months = 6 }]\n"
    )
    with pytest.raises(ConfigError, match="cycles"):
        load_cycle_table(bad)


def test_explain_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["retention", "explain", "--vehicle-type", "K33", "--use", "A"]
    argv += ["--registered", "2019-05-01", "--inspected", "2026-11-23"]
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cycle"] == "small_private" and doc["next_due"] == "2029-05-01"
    assert doc["retain_until"] == (date(2029, 5, 1) + timedelta(days=doc["grace_days"])).isoformat()
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "next due:     2029-05-01" in text and "retain until:" in text
