"""Check plug-ins: one module each, registered by name. Importing this package loads them all."""

from __future__ import annotations

import importlib
import pkgutil

from pipeline.checks.base import Check, CheckContext, Params, Result, register, registered

__all__ = ["Check", "CheckContext", "Params", "Result", "load_all", "register", "registered"]


def load_all() -> dict[str, type[Check]]:
    """Import every module of this package so each check registers itself."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")
    return registered()
