"""The runner: decode findings, configured checks, crash → review, verdict policy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.checks.base import Check, CheckContext, Result
from pipeline.config import load_settings
from pipeline.errors import ConfigError
from pipeline.package import LoadedItem, LocalPackage
from pipeline.records import verdict_of
from pipeline.services import Services
from pipeline.verify import load, verify_package
from tests.packages import K33_CODES, make_package


@pytest.fixture
def services(home: Path) -> Services:
    return Services(load_settings(env={"INSPECTPIPE_HOME": str(home)}))


def only_core(services: Services) -> list[str]:
    return ["decode", "completeness", "time_window"]


def test_complete_package_passes_core_checks(tmp_path: Path, services: Services) -> None:
    folder = make_package(tmp_path)
    v = verify_package(LocalPackage(folder), services, only=only_core(services))
    assert v.verdict == "pass", [f for f in v.findings if f.outcome != "pass"]
    checks = {f.check for f in v.findings}
    assert checks == {"decode", "completeness", "time_window"}
    assert sum(f.check == "decode" for f in v.findings) == len(K33_CODES)


def test_missing_code_and_rubbing(tmp_path: Path, services: Services) -> None:
    folder = make_package(tmp_path, codes=[c for c in K33_CODES if c not in ("J", "0113")])
    v = verify_package(LocalPackage(folder), services, only=only_core(services))
    missing = {(f.reason, f.code) for f in v.findings if f.check == "completeness"}
    assert missing == {("rubbing_missing", "J"), ("photo_missing", "0113")}
    assert v.verdict == "fail"


def test_truncated_missing_and_sha_mismatch(tmp_path: Path, services: Services) -> None:
    folder = make_package(tmp_path)
    data = (folder / "0111.jpg").read_bytes()
    (folder / "0111.jpg").write_bytes(data[: len(data) // 2])
    (folder / "0112.jpg").unlink()
    m = json.loads((folder / "manifest.json").read_text())
    m["evidence"][2]["sha256"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(m))
    v = verify_package(LocalPackage(folder), services, only=only_core(services))
    bad = {f.file: f.reason for f in v.findings if f.check == "decode" and f.outcome == "fail"}
    assert bad == {
        "0111.jpg": "evidence_truncated",
        "0112.jpg": "evidence_missing",
        "0113.jpg": "sha256_mismatch",
    }
    assert v.verdict == "fail"


def test_taken_outside_window(tmp_path: Path, services: Services) -> None:
    folder = make_package(tmp_path)
    m = json.loads((folder / "manifest.json").read_text())
    m["evidence"][0]["taken_at"] = "2026-11-22T09:15:00+08:00"
    (folder / "manifest.json").write_text(json.dumps(m))
    v = verify_package(LocalPackage(folder), services, only=only_core(services))
    tw = [f for f in v.findings if f.check == "time_window" and f.outcome == "fail"]
    assert [(f.file, f.reason) for f in tw] == [("0111.jpg", "taken_outside_window")]
    assert tw[0].detail["minutes_outside"] > 23 * 60


class Boom(Check):
    name = "boom_test"

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        raise RuntimeError("kaboom")


class Unsure(Check):
    name = "unsure_test"
    scope = "inspection"

    def check_inspection(self, ctx: CheckContext) -> Sequence[Result]:
        return [Result("review", "quality_uncertain")]


def test_crashing_check_becomes_review(tmp_path: Path, services: Services) -> None:
    from pipeline.runner import _run_one

    folder = make_package(tmp_path, codes=["0111"])
    package = load(LocalPackage(folder), services)
    from zoneinfo import ZoneInfo

    ctx = CheckContext(package, package.manifest.vehicle, None, services, ZoneInfo("Asia/Shanghai"))
    out = _run_one(Boom(Boom.params_model()), ctx, package.items[0])
    assert [(f.outcome, f.reason) for f in out] == [("review", "check_error")]
    assert "kaboom" in out[0].detail["error"]
    out = _run_one(Unsure(Unsure.params_model()), ctx, None)
    assert out[0].outcome == "review" and out[0].file is None


@given(st.lists(st.sampled_from(["pass", "fail", "review"]), max_size=20))
def test_verdict_policy(outcomes: list[str]) -> None:
    v = verdict_of(outcomes)  # type: ignore[arg-type]
    if "fail" in outcomes:
        assert v == "fail"
    elif "review" in outcomes:
        assert v == "review"
    else:
        assert v == "pass"


def test_every_configured_check_exists_and_reasons_are_labelled(services: Services) -> None:
    checks = services.checks  # raises ConfigError on unknown names
    assert {"completeness", "time_window"} <= set(checks)
    reasons = services.reasons
    assert all(r.zh and r.en for r in reasons.values())


def test_per_code_params_override_the_check_for_that_code(tmp_path: Path, home: Path) -> None:
    """``[checks.<name>.codes."<code>"]`` changes the params for that code only."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[checks.time_window]\nslack_minutes = 0\n"
        '[checks.time_window.codes."0112"]\nslack_minutes = 120\n'
    )
    services = Services(load_settings(cfg, env={"INSPECTPIPE_HOME": str(home)}))
    assert services.check_for("time_window", "0112").params.slack_minutes == 120  # type: ignore[attr-defined]
    assert services.check_for("time_window", "0111").params.slack_minutes == 0  # type: ignore[attr-defined]
    folder = make_package(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    late = "2026-11-23T11:00:00+08:00"  # an hour after the window closes
    for item in manifest["evidence"]:
        if item["code"] in ("0111", "0112"):
            item["taken_at"] = late
    (folder / "manifest.json").write_text(json.dumps(manifest))
    v = verify_package(LocalPackage(folder), services, only=["time_window"])
    outcome = {f.code: f.outcome for f in v.findings if f.check == "time_window"}
    assert outcome["0111"] == "fail" and outcome["0112"] == "pass"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[checks.time_window.codes."9999"]\nslack_minutes = 1\n', "names no photo-type code"),
        ('[checks.time_window.codes."0111"]\nslak = 1\n', r"checks\.time_window\.codes\.0111"),
        ("[checks.time_window]\ncodes = 3\n", "must be tables"),
    ],
)
def test_bad_per_code_params_name_the_table(
    tmp_path: Path, home: Path, text: str, message: str
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    services = Services(load_settings(cfg, env={"INSPECTPIPE_HOME": str(home)}))
    with pytest.raises(ConfigError, match=message):
        _ = services.checks


def test_deferred_decoding_gives_the_same_verdict_and_holds_no_pixels(
    tmp_path: Path, services: Services
) -> None:
    """The verify path decodes photos one at a time in the runner and drops them after their
    checks; findings (a truncated photo included) equal those of an eagerly decoded load."""
    from pipeline.package import load_package
    from pipeline.runner import run_checks
    from pipeline.verify import load as deferred_load

    folder = make_package(tmp_path)
    data = (folder / "0112.jpg").read_bytes()
    (folder / "0112.jpg").write_bytes(data[: len(data) // 2])
    lim = services.settings.limits
    eager = load_package(
        LocalPackage(folder),
        max_manifest_bytes=lim.max_manifest_bytes,
        max_items=lim.max_items,
        max_file_bytes=lim.max_file_bytes,
        max_pixels=lim.max_pixels,
        max_frames=lim.max_frames,
    )
    lazy = deferred_load(LocalPackage(folder), services)
    assert all(i.image is None for i in lazy.items)
    core = only_core(services)

    def summary(v: Any) -> list[tuple[Any, ...]]:
        return sorted((f.check, f.file, f.outcome, f.reason) for f in v.findings)

    assert summary(run_checks(lazy, services, only=core)) == summary(
        run_checks(eager, services, only=core)
    )
    truncated = next(i for i in lazy.items if i.item.file == "0112.jpg")
    assert truncated.error is not None and truncated.error.reason == "evidence_truncated"
    assert all(i.image is None for i in lazy.items)  # released after their checks
    photo = next(i for i in lazy.items if i.item.file == "0111.jpg")
    assert photo.pixels_ready() and photo.image is not None  # decodable again on demand
