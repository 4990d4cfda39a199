"""Films the band finder lost on evidence made by the samplegen renderer
(``pipeline.samplegen.tampering.pairs(188, 21)``; session 23).

``data/desk_edge_*.jpg`` (pair 4, genuine, L8MG95938R8F28890): the candidate film lies on a
dark, noisy desk with its paper's edge close to the VIN. The grain of the desk beside that
edge is a tall cluster of edges, the closing joined it to the glyph row, and a cluster more
than a third as tall as wide was not taken for a row: "VIN band not found".

``data/grainy_*.jpg`` (pair 187, GXUCVEN59L9Z17463, the 11th glyph ground off and punched
as an 8): the candidate's carbon is streaked with pencil grain, whose edges cover the whole
film; the cluster found was the film, three glyph heights tall, and the glyphs rectified at
a third of their size were not cut into 17.

``data/desk_noise_*.jpg`` (``pairs(1000, 31)`` pair 842, genuine, ECGV19XY7WHJ44542): the
candidate, a faint film turned 6 degrees, lies on a dark desk whose sensor noise makes a
strip of edges along the photo's foot larger than the glyph row; that strip was rectified
into 17 "glyphs" of noise and the pair was flagged a clone.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.vin.band import CLEAR_ROW, _regularity, _row_part, find_band, find_bands, rectify
from pipeline.vin.rubbing import compare_images

DATA = Path(__file__).resolve().parent / "data"


def _load(name: str) -> np.ndarray:
    image = cv2.imread(str(DATA / name))
    assert image is not None
    return image


def _small(image: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, (960, round(gray.shape[0] * 960 / gray.shape[1])), cv2.INTER_AREA)


def test_a_film_on_a_grainy_desk_is_found_and_matches() -> None:
    ref, cand = _load("desk_edge_ref.jpg"), _load("desk_edge_cand.jpg")
    band = rectify(cand)
    assert band is not None and band.complete
    result = compare_images(ref, cand, overlay=False, vin="L8MG95938R8F28890").comparison
    assert result.verdict == "match"


def test_a_grainy_film_is_found_on_its_strongest_edges() -> None:
    ref, cand = _load("grainy_ref.jpg"), _load("grainy_cand.jpg")
    # At the usual percentile the cluster is the whole film, over twice as tall as the row
    # its strongest edges make.
    whole, strict = find_band(_small(cand)), find_band(_small(cand), 95.0)
    assert whole is not None and strict is not None
    assert whole[1][1] > 2 * strict[1][1] and whole[1][0] >= strict[1][0]
    band = rectify(cand)
    assert band is not None and band.complete
    result = compare_images(ref, cand, overlay=False, vin="GXUCVEN59L9Z17463").comparison
    assert result.verdict == "mismatch" and 10 in result.suspects


def test_the_row_is_freed_from_a_tall_cluster_at_its_end() -> None:
    cluster = np.zeros((120, 400), bool)
    cluster[50:70, 60:390] = True  # the glyph row, 20 px tall
    cluster[0:120, 0:60] = True  # grain beside the paper's edge, joined at the row's end
    x, y, row = _row_part(cluster, 200)  # type: ignore[misc]
    assert (x, y) == (60, 50) and row.shape == (20, 330) and row.all()
    # A cluster with no row in it gives none.
    assert _row_part(np.ones((120, 130), bool), 100) is None


def test_a_larger_cluster_of_the_desk_gives_way_to_the_glyph_row() -> None:
    ref, cand = _load("desk_noise_ref.jpg"), _load("desk_noise_cand.jpg")
    small = _small(cand)
    rects = find_bands(small)
    assert len(rects) >= 2
    (_, y), _, _ = rects[0]
    assert y > 0.8 * small.shape[0]  # the largest cluster: the desk along the photo's foot
    band = rectify(cand)
    assert band is not None and band.complete and _regularity(band) >= CLEAR_ROW
    result = compare_images(ref, cand, overlay=False, vin="ECGV19XY7WHJ44542").comparison
    assert result.verdict == "match"
