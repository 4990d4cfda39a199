"""VIN rules, reading, rubbing comparison and reference rubbings (GB 16735 / ISO 3779)."""
