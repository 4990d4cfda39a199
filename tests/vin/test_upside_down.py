"""A rubbing photographed upside down is compared the right way up."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from pipeline.ocr import RapidOcrEngine
from pipeline.vin import compare
from pipeline.vin.band import Band, rectify, turned_band
from pipeline.vin.compare import CLONE_NOTE, compare_bands, read_alike
from pipeline.vin.evalgen import make_pair
from pipeline.vin.reading import BAND_LINE_VERSION, read_band, read_upright
from pipeline.vin.rubbing import compare_images, decode, draw_overlay
from pipeline.vin.texture import turned_photo


def _images(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    pair = make_pair(kind, "B", np.random.default_rng(seed))
    ref, cand = decode(pair.reference), decode(pair.candidate)
    assert ref is not None and cand is not None
    return ref, cand, pair.positions


def test_turning_a_band_twice_gives_it_back() -> None:
    ref, _, _ = _images("genuine", 3)
    band = rectify(ref)
    assert band is not None and band.complete
    back = turned_band(turned_band(band))
    assert back.boxes == band.boxes
    assert np.array_equal(back.strokes, band.strokes) and np.array_equal(back.gray, band.gray)


@pytest.mark.parametrize("seed", [3, 4])
def test_an_upside_down_genuine_rubbing_matches(seed: int) -> None:
    ref, cand, _ = _images("genuine", seed)
    upright = compare_images(ref, cand, overlay=False).comparison
    turned = compare_images(ref, cv2.rotate(cand, cv2.ROTATE_180), overlay=True)
    assert upright.verdict == "match" and not upright.turned
    assert turned.comparison.verdict == "match" and turned.comparison.turned
    assert turned.overlay  # the overlay shows the candidate turned upright


def test_an_upside_down_restamp_is_still_found_where_it_is() -> None:
    ref, cand, positions = _images("hand_restamp", 5)
    result = compare_images(ref, cv2.rotate(cand, cv2.ROTATE_180), overlay=False).comparison
    assert result.verdict == "mismatch" and result.turned
    assert set(result.suspects) & set(positions)


def test_an_upright_mismatch_is_not_turned() -> None:
    ref, cand, _ = _images("clone", 6)
    a, b = rectify(ref), rectify(cand)
    result = compare_bands(a, b)
    assert result.verdict == "mismatch" and not result.turned
    assert draw_overlay(a, b, result)


@pytest.mark.parametrize(("degrees", "seed"), [(20.0, 3), (-20.0, 4), (-15.0, 3)])
def test_a_film_photographed_at_a_slant_is_found_and_matches(degrees: float, seed: int) -> None:
    # The level band finder holds to about ±10°; beyond, the band was "not found".
    ref, cand, _ = _images("genuine", seed)
    band = rectify(turned_photo(cand, degrees))
    assert band is not None and band.complete
    assert compare_bands(rectify(ref), band).verdict == "match"


@pytest.mark.parametrize("quarter", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_film_photographed_in_portrait_is_found_and_matches(quarter: int) -> None:
    # Before, a portrait photo of the film (its VIN running down or up the picture) was
    # "not found" every time. One way round the band comes out upside down, which the
    # comparison turns back.
    ref, cand, _ = _images("genuine", 3)
    portrait = cv2.rotate(cand, quarter)
    assert portrait.shape[0] > portrait.shape[1]
    band = rectify(portrait)
    assert band is not None and band.complete
    result = compare_bands(rectify(ref), band)
    assert result.verdict == "match"
    assert result.turned == (quarter == cv2.ROTATE_90_CLOCKWISE)


def test_a_portrait_restamp_is_still_found_where_it_is() -> None:
    ref, cand, positions = _images("hand_restamp", 5)
    result = compare_images(ref, cv2.rotate(cand, cv2.ROTATE_90_COUNTERCLOCKWISE), overlay=False)
    assert result.comparison.verdict == "mismatch"
    assert set(result.comparison.suspects) & set(positions)


@pytest.fixture(scope="module")
def ocr() -> RapidOcrEngine:
    return RapidOcrEngine()


def test_an_upside_down_band_is_read_turned_when_it_reads_as_nothing(ocr: RapidOcrEngine) -> None:
    pair = make_pair("genuine", "B", np.random.default_rng(3))
    cand = decode(pair.candidate)
    assert cand is not None
    upright, upside_down = rectify(cand), rectify(cv2.rotate(cand, cv2.ROTATE_180))
    assert upright is not None and upside_down is not None
    assert read_band(upright, ocr).vin == pair.vin
    assert list(upright.reads) == [f"{ocr.model_tag}/line-{BAND_LINE_VERSION}"]  # one read
    read = read_band(upside_down, ocr)
    assert read.vin == pair.vin and read.check_ok
    assert len(upside_down.reads) == 2  # as found, then turned


def test_a_portrait_band_is_read(ocr: RapidOcrEngine) -> None:
    pair = make_pair("genuine", "B", np.random.default_rng(4))
    cand = decode(pair.candidate)
    assert cand is not None
    for quarter in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE):
        band = rectify(cv2.rotate(cand, quarter))
        assert band is not None
        read = read_band(band, ocr)
        assert read.vin == pair.vin and read.check_ok


def test_an_upside_down_film_read_with_ocr_is_still_compared_turned(ocr: RapidOcrEngine) -> None:
    # The upside-down band does not read as found as the reference does (its read_band
    # read is the turned one), so the comparison still turns it.
    ref, cand, _ = _images("genuine", 3)
    turned = cv2.rotate(cand, cv2.ROTATE_180)
    a, b = rectify(ref), rectify(turned)
    assert a is not None and b is not None
    assert read_band(b, ocr).as_read == read_band(a, ocr).as_read  # read turned: the VIN
    assert not read_alike(read_upright(a, ocr).as_read, read_upright(b, ocr).as_read)
    result = compare_images(ref, turned, ocr=ocr, overlay=False).comparison
    assert result.verdict == "match" and result.turned
    # Told wrongly that both read alike as found, it would not have turned the film.
    assert not compare_bands(a, b, read_alike=True).turned


def test_a_clone_read_alike_is_neither_turned_nor_taken_otherwise(
    ocr: RapidOcrEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = make_pair("clone", "B", np.random.default_rng(6))
    ref, cand = decode(pair.reference), decode(pair.candidate)
    assert ref is not None and cand is not None
    a, b = rectify(ref), rectify(cand)
    assert a is not None and b is not None
    assert read_upright(a, ocr).as_read == read_upright(b, ocr).as_read == pair.vin
    tried: list[str] = []
    real_tries, real_turned = compare._row_tries, compare.turned_band

    def row_tries(r: Band, c: Band) -> list[tuple[str, Callable[[], tuple[Band, Band] | None]]]:
        tried.append("rows")
        return real_tries(r, c)

    def turned(band: Band) -> Band:
        tried.append("turned")
        return real_turned(band)

    monkeypatch.setattr(compare, "_row_tries", row_tries)
    monkeypatch.setattr(compare, "turned_band", turned)
    # Unread (no OCR), the comparison turns the film and takes each row otherwise first.
    assert compare_bands(a, b, vin=pair.vin).verdict == "mismatch"
    assert tried == ["turned", "rows"]
    tried.clear()
    result = compare_images(ref, cand, ocr=ocr, overlay=False, vin=pair.vin).comparison
    assert result.verdict == "mismatch" and CLONE_NOTE in result.note
    assert not result.turned and result.row == "" and tried == []
