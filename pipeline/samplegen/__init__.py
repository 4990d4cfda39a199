"""Synthetic inspection packages (``inspection/1``) with planted defects and their truth.

Public API (everything is seeded and deterministic: the same seed gives the same bytes):

- :func:`generate_set(out, count=, seed=, defects=, profile=)` writes packages, ``truth.json``,
  ``references/<VIN>.jpg`` and ``registry.csv``; returns a :class:`SetSummary`.
- :data:`DEFECTS` maps each plantable defect to its expected verdict and reason codes.
- :class:`DieStyle` is one physical VIN stamping; :func:`render_die_mask(vin, die)` its groove
  depth map; :func:`render_rubbing(vin, die, rng, variations=)` a rubbing (BGR array) and
  :class:`RubbingVariations` what differs between two rubbings of the same stamp;
  :func:`render_vin_photo(vin, die, rng, size)` the 0113 photo.
- :func:`render_plate(text, look)` a flat Chinese plate (RGB array); :func:`random_look`.
- :func:`random_vehicle`, :func:`random_vin`, :func:`vin_check_digit`: identities.
"""

from __future__ import annotations

from pipeline.samplegen.defects import DEFECTS, Defect
from pipeline.samplegen.generate import SetSummary, generate_set, parse_defects
from pipeline.samplegen.identity import random_vehicle, random_vin, vin_check_digit
from pipeline.samplegen.plate import PlateLook, random_look, render_plate
from pipeline.samplegen.rubbing import RubbingVariations, render_rubbing
from pipeline.samplegen.stamp import DieStyle, render_die_mask, render_vin_photo

__all__ = [
    "DEFECTS",
    "Defect",
    "DieStyle",
    "PlateLook",
    "RubbingVariations",
    "SetSummary",
    "generate_set",
    "parse_defects",
    "random_look",
    "random_vehicle",
    "random_vin",
    "render_die_mask",
    "render_plate",
    "render_rubbing",
    "render_vin_photo",
    "vin_check_digit",
]
