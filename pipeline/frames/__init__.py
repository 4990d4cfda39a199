"""Frame-sequence analysis: one scan per sequence, detectors, motion, contact sheets, test data.

The checks in ``pipeline/checks/frames_*.py`` are thin: they call :func:`scan.get_scan` (one
low-resolution pass per sequence, cached on the item and shared by every frame check) and the
pure detectors here, and turn what they find into findings.
"""
