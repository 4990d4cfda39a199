"""Message buses: pick the backend named by ``bus.backend``."""

from __future__ import annotations

from pipeline.bus.base import Delivery, Handler, MessageBus
from pipeline.config import Settings
from pipeline.errors import ConfigError

__all__ = ["Delivery", "Handler", "MessageBus", "open_bus"]


def open_bus(settings: Settings) -> MessageBus:
    """The bus the settings name; pika is imported only when RabbitMQ is chosen."""
    cfg = settings.bus
    if cfg.backend == "inproc":
        from pipeline.bus.inproc import InProcBus

        return InProcBus(
            namespace=cfg.namespace,
            scope=str(settings.home_path()),
            delivery_limit=cfg.delivery_limit,
            retry_max_seconds=cfg.retry_max_seconds,
        )
    if cfg.backend == "rabbitmq":
        try:
            from pipeline.bus.rabbitmq import RabbitBus
        except ImportError as exc:
            if exc.name and exc.name.split(".")[0] == "pika":
                raise ConfigError(
                    "bus.backend = 'rabbitmq' needs the pika package: pip install 'pika>=1.3'"
                ) from None
            raise
        return RabbitBus(cfg)
    raise ConfigError(f"bus.backend {cfg.backend!r} is not known")  # pragma: no cover
