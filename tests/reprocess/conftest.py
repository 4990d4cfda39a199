"""Reprocess tests share the retention fixtures (movable clock, embedded services)."""

from tests.retention.conftest import clock, local

__all__ = ["clock", "local"]
