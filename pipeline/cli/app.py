"""Lazily built settings and services for one CLI invocation."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pipeline.config import Settings, load_settings
from pipeline.services import Services


class App:
    """What a command handler needs: settings and services, loaded when first asked for."""

    def __init__(self, config_path: str | Path | None = None) -> None:
        self.config_path = config_path
        self._services: Services | None = None

    @cached_property
    def settings(self) -> Settings:
        """Settings from the chosen config file and the environment."""
        return load_settings(self.config_path)

    @property
    def services(self) -> Services:
        """The shared services."""
        if self._services is None:
            self._services = Services(self.settings)
        return self._services

    def close(self) -> None:
        """Release services (connections) if any were opened."""
        if self._services is not None:
            self._services.close()
