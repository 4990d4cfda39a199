"""The VIN checks inside a real package run: real OCR, real rubbings, injected references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from pipeline.config import DEFAULT_CONFIG, load_settings
from pipeline.db import schema
from pipeline.package import LocalPackage
from pipeline.samplegen.stamp import DieStyle, render_vin_photo
from pipeline.services import Services
from pipeline.storage.local import LocalStore
from pipeline.verify import verify_package
from pipeline.vin import rules
from pipeline.vin.evalgen import make_pair
from pipeline.vin.references import ReferenceStore
from pipeline.vin.texture import encode_jpeg
from tests.packages import BASE_MANIFEST, make_package

VIN = str(BASE_MANIFEST["vehicle"]["vin"])
CHECKS = ["vin_match", "rubbing_compare", "vin_photo_vs_rubbing", "vin_check_digit"]


@pytest.fixture
def refs(tmp_path: Path) -> ReferenceStore:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'refs.sqlite'}")
    schema.metadata.create_all(engine)
    return ReferenceStore(LocalStore(tmp_path / "store"), engine)


def _package(tmp_path: Path, rubbing: bytes) -> Path:
    folder = make_package(tmp_path, codes=["0113", "J"])
    rng = np.random.default_rng(5)
    photo = render_vin_photo(VIN, DieStyle.random(rng), rng, (1024, 640))
    (folder / "0113.jpg").write_bytes(encode_jpeg(photo, 92))
    (folder / "J.jpg").write_bytes(rubbing)
    return folder


def _findings(folder: Path, refs: ReferenceStore, home: Path) -> dict[str, tuple[str, str | None]]:
    services = Services(
        load_settings(env={"INSPECTPIPE_HOME": str(home)}), overrides={"references": refs}
    )
    verdict = verify_package(LocalPackage(folder), services, only=CHECKS)
    return {
        f"{f.check}:{f.code}": (f.outcome, f.reason) for f in verdict.findings if f.check in CHECKS
    }


def test_no_reference_then_enrolled_genuine(
    tmp_path: Path, refs: ReferenceStore, home: Path
) -> None:
    pair = make_pair("genuine", "B", np.random.default_rng(11), vin=VIN)
    folder = _package(tmp_path, pair.candidate)
    out = _findings(folder, refs, home)
    assert out["rubbing_compare:J"] == ("review", "rubbing_no_reference")
    assert out["vin_match:J"] == ("pass", None)
    assert out["vin_match:0113"] == ("pass", None)
    assert out["vin_photo_vs_rubbing:J"] == ("pass", None)
    assert out["vin_check_digit:None"] == ("pass", None)
    refs.enroll(VIN, pair.reference, source="registration", enrolled_by="test")
    assert _findings(folder, refs, home)["rubbing_compare:J"] == ("pass", None)


def test_the_reference_band_is_read_once_and_the_read_kept(
    tmp_path: Path, refs: ReferenceStore, home: Path
) -> None:
    """Enrolled without OCR, a reference is read at its first comparison and the read kept
    with its band; later comparisons use it. Enrolled with OCR, the read is made at once."""
    pair = make_pair("genuine", "B", np.random.default_rng(11), vin=VIN)
    folder = _package(tmp_path, pair.candidate)
    ref = refs.enroll(VIN, pair.reference, source="registration", enrolled_by="test")
    band = refs.band(ref)
    assert band is not None and band.reads == {}
    services = Services(
        load_settings(env={"INSPECTPIPE_HOME": str(home)}), overrides={"references": refs}
    )
    reads: list[tuple[int, ...]] = []
    read_line = services.ocr.read_line

    def counting(image: np.ndarray) -> tuple[str, float]:
        reads.append(image.shape)
        return read_line(image)

    services.ocr.read_line = counting  # type: ignore[method-assign]
    runs = []
    for _ in range(2):
        reads.clear()
        verdict = verify_package(LocalPackage(folder), services, only=CHECKS)
        runs.append(([(f.check, f.outcome, f.reason) for f in verdict.findings], len(reads)))
    assert runs[0][0] == runs[1][0] and ("rubbing_compare", "pass", None) in runs[0][0]
    assert runs[0][1] == runs[1][1] + 1  # the reference's line, read once
    kept = refs.band(ref)
    assert kept is not None and len(kept.reads) == 1
    ((tag, (text, _)),) = kept.reads.items()
    assert tag.startswith(services.ocr.model_tag) and text  # type: ignore[attr-defined]
    other = make_pair("genuine", "C", np.random.default_rng(12), vin=VIN)
    reads.clear()
    now = refs.enroll(VIN, other.reference, source="import", enrolled_by="t", reader=services.ocr)
    fresh = refs.band(now)
    assert len(reads) == 1 and fresh is not None and set(fresh.reads) == {tag}


def test_restamped_rubbing_fails_with_overlay(
    tmp_path: Path, refs: ReferenceStore, home: Path
) -> None:
    pair = make_pair("hand_restamp", "B", np.random.default_rng(12), vin=VIN)
    refs.enroll(VIN, pair.reference, source="registration", enrolled_by="test")
    folder = _package(tmp_path, pair.candidate)
    services = Services(
        load_settings(env={"INSPECTPIPE_HOME": str(home)}), overrides={"references": refs}
    )
    verdict = verify_package(LocalPackage(folder), services, only=["rubbing_compare"])
    (finding,) = [f for f in verdict.findings if f.check == "rubbing_compare"]
    assert (finding.outcome, finding.reason) == ("fail", "rubbing_glyph_mismatch")
    assert set(finding.detail["suspect_positions"]) & set(pair.positions)
    assert finding.artifacts["overlay"][:2] == b"\xff\xd8"  # a JPEG for the reviewer


def _misread_that_the_check_digit_corrects_wrongly(vin: str) -> str:
    """``vin`` with one non-confusable character changed such that the check digit then
    'corrects' another character: a valid VIN that is neither what was shown nor ``vin``."""
    for i in (3, 4, 5, 6, 7):
        for c in "AKMNPRWXY":
            shown = vin[:i] + c + vin[i + 1 :]
            if shown == vin or rules.check_digit_ok(shown):
                continue
            fix = rules.arbitrate(shown)
            if fix.check_ok and fix.changed and fix.text != vin:
                return shown
    raise AssertionError("no such misread for this VIN")


def test_a_read_corrected_by_the_check_digit_never_fails(
    tmp_path: Path, refs: ReferenceStore, home: Path
) -> None:
    """What OCR reads wrongly in one place, the check digit may 'repair' in another; the
    result is a valid VIN that nobody saw. It goes to a person, never to a fail."""
    shown = _misread_that_the_check_digit_corrects_wrongly(VIN)
    pair = make_pair("genuine", "B", np.random.default_rng(11), vin=VIN)
    folder = _package(tmp_path, pair.candidate)
    rng = np.random.default_rng(5)
    photo = render_vin_photo(shown, DieStyle.random(rng), rng, (1024, 640))
    (folder / "0113.jpg").write_bytes(encode_jpeg(photo, 92))
    services = Services(
        load_settings(env={"INSPECTPIPE_HOME": str(home)}), overrides={"references": refs}
    )
    verdict = verify_package(LocalPackage(folder), services, only=CHECKS)
    (match,) = [f for f in verdict.findings if f.check == "vin_match" and f.code == "0113"]
    assert match.detail["raw"].endswith(shown)  # OCR read what the photo shows...
    assert match.detail["corrected_positions"]  # ...and the check digit changed it
    assert match.detail["read"] not in (shown, VIN)
    assert (match.outcome, match.reason) == ("review", "vin_uncertain")
    (both,) = [f for f in verdict.findings if f.check == "vin_photo_vs_rubbing"]
    assert (both.outcome, both.reason) == ("review", "vin_photo_rubbing_mismatch")


def test_a_read_the_check_digit_corrected_into_the_vin_is_reviewed_when_asked(
    tmp_path: Path, home: Path
) -> None:
    """``data/lookalike_corrected_cand.jpg`` is a rubbing whose C at position 11 was altered
    to a G; OCR reads the G, and the check digit, made for the C, corrects it back. By
    default ``vin_match`` passes the corrected read; with ``corrected_match = "review"`` it
    sends it to a person, with the read as read in the finding."""
    vin = "3THWVSM674C920236"
    altered = (Path(__file__).parent / "data" / "lookalike_corrected_cand.jpg").read_bytes()
    folder = make_package(
        tmp_path,
        codes=["J"],
        manifest_overrides={"vehicle": {**BASE_MANIFEST["vehicle"], "vin": vin}},
    )
    (folder / "J.jpg").write_bytes(altered)
    strict = tmp_path / "strict.toml"
    strict.write_text(
        DEFAULT_CONFIG.read_text("utf-8").replace(
            'corrected_match = "pass"', 'corrected_match = "review"'
        ),
        "utf-8",
    )
    found = {}
    for name, path in (("pass", DEFAULT_CONFIG), ("review", strict)):
        services = Services(load_settings(path, env={"INSPECTPIPE_HOME": str(home)}))
        verdict = verify_package(LocalPackage(folder), services, only=["vin_match"])
        (finding,) = [f for f in verdict.findings if f.check == "vin_match"]
        found[name] = finding
    assert (found["pass"].outcome, found["pass"].reason) == ("pass", None)
    assert (found["review"].outcome, found["review"].reason) == ("review", "vin_corrected_match")
    detail = found["review"].detail
    assert detail["read"] == vin and detail["corrected_positions"] == [10]
    assert detail["as_read"] == vin[:10] + "G" + vin[11:]
