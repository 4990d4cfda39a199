"""pHash properties (Hypothesis) and distances on real near-duplicate families."""

from __future__ import annotations

import itertools

import cv2
from hypothesis import given
from hypothesis import strategies as st

from pipeline.photo.phash import bands, hamming, phash, phash_pair, to_signed, to_unsigned
from tests.photo.conftest import labels, realdata

u64 = st.integers(min_value=0, max_value=(1 << 64) - 1)


@given(u64)
def test_signed_round_trip(value: int) -> None:
    assert to_unsigned(to_signed(value)) == value
    assert -(1 << 63) <= to_signed(value) < (1 << 63)


@given(u64, st.sets(st.integers(0, 63), max_size=3))
def test_within_three_bits_shares_a_band(value: int, flips: set[int]) -> None:
    other = value
    for bit in flips:
        other ^= 1 << bit
    assert hamming(value, other) == len(flips)
    assert any(a == b for a, b in zip(bands(value), bands(other), strict=True))


def test_real_families() -> None:
    """Same-source re-encodes/resizes/greyscale are within 2 bits; distinct photos far apart."""
    folder = realdata("dedup")
    hashes: dict[str, tuple[str, str, int]] = {}
    for row in labels("dedup"):
        image = cv2.imread(str(folder / row["file"]), cv2.IMREAD_GRAYSCALE)
        if image is None:  # the deliberately corrupt file
            assert row["relation"] == "same_source_unreadable"
            continue
        hashes[row["file"]] = (row["group_id"], row["transform"], phash(image))
    close, distinct = [], []
    for (ga, ta, ha), (gb, tb, hb) in itertools.combinations(hashes.values(), 2):
        geometric = any(t in ("horizontal flip", "rotation with black corners") for t in (ta, tb))
        if ga == gb and not geometric:
            close.append(hamming(ha, hb))
        elif ga != gb:
            distinct.append(hamming(ha, hb))
    assert close and max(close) <= 2
    assert min(distinct) > 5  # measured 22


def test_mirrored_copy_found_through_mirror_hash() -> None:
    """photo_reuse also looks up the mirror's hash: a flipped copy is at distance 0."""
    folder = realdata("dedup")
    original = phash_pair(cv2.imread(str(folder / "ukbench00120.jpg"), cv2.IMREAD_GRAYSCALE))
    flipped = phash_pair(cv2.imread(str(folder / "ukbench00120_hflip.jpg"), cv2.IMREAD_GRAYSCALE))
    assert hamming(original[0], flipped[0]) > 20
    assert hamming(original[1], flipped[0]) <= 2
