"""The reviewers' console (FastAPI): pages, JSON API, sign-in. See :func:`create_app`."""

from pipeline.console.app import create_app

__all__ = ["create_app"]
