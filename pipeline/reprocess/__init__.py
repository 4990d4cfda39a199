"""Reprocessing: re-enqueue stored inspections when checks or models change.

:func:`reprocess` (in :mod:`pipeline.reprocess.run`) selects attempts
(:class:`~pipeline.reprocess.selection.Selection`), publishes their manifest events with a
progress bar and a rate limit, and keeps a resumable cursor
(:mod:`pipeline.reprocess.cursor`).
"""

from pipeline.reprocess.cursor import Counts, Cursor, RateLimiter
from pipeline.reprocess.run import reprocess
from pipeline.reprocess.selection import Selection

__all__ = ["Counts", "Cursor", "RateLimiter", "Selection", "reprocess"]
