"""Thin worker loops: settings → services → consume. The logic lives in ``pipeline.flow``."""
