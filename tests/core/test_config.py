"""Settings: defaults embed everything; env overrides single keys; bad keys are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import CONFIG_DIR, DEFAULT_CONFIG, load_settings
from pipeline.errors import ConfigError


def test_default_is_embedded() -> None:
    s = load_settings(DEFAULT_CONFIG, env={})
    assert (s.store.backend, s.bus.backend) == ("local", "inproc")
    assert s.database.url.startswith("sqlite:///")


def test_production_example_loads() -> None:
    s = load_settings(CONFIG_DIR / "production.example.toml", env={})
    assert (s.store.backend, s.bus.backend) == ("minio", "rabbitmq")
    assert s.database.url.startswith("postgresql")


def test_env_overrides_and_home(tmp_path: Path) -> None:
    env = {
        "INSPECTPIPE_HOME": str(tmp_path),
        "INSPECTPIPE_BUS_BACKEND": "rabbitmq",
        "INSPECTPIPE_BUS_PREFETCH": "7",
        "INSPECTPIPE_STORE_ACCESS_KEY": "abc",
        "INSPECTPIPE_DATABASE_URL": "sqlite:///{home}/x.db",
    }
    s = load_settings(DEFAULT_CONFIG, env=env)
    assert s.bus.backend == "rabbitmq" and s.bus.prefetch == 7
    assert s.store.access_key == "abc"
    assert s.expand(s.database.url) == f"sqlite:///{tmp_path.resolve()}/x.db"


def test_config_env_var_picks_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[bus]\nbackend = "rabbitmq"\n')
    assert load_settings(env={"INSPECTPIPE_CONFIG": str(cfg)}).bus.backend == "rabbitmq"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[bus]\nbackend = "kafka"\n', "bus.backend"),
        ("[bus]\nprefetch = 0\n", "bus.prefetch"),
        ("[store]\nbuckt = 'x'\n", "unknown key 'store.buckt'"),
        ("nonsense = 1\n", "unknown key 'nonsense'"),
        ("[bus\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg, env={})


def test_unknown_env_var_is_an_error() -> None:
    with pytest.raises(ConfigError, match="INSPECTPIPE_BUS_NOPE"):
        load_settings(DEFAULT_CONFIG, env={"INSPECTPIPE_BUS_NOPE": "1"})
    with pytest.raises(ConfigError, match=r"bus\.prefetch"):
        load_settings(DEFAULT_CONFIG, env={"INSPECTPIPE_BUS_PREFETCH": "many"})


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("/nonexistent/x.toml", env={})


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("0", None)])
def test_worker_warm_up_sets_opencv_threads(
    tmp_path: Path, value: str, expected: int | None
) -> None:
    """A worker runs OpenCV on ``[worker] image_threads`` threads; 0 leaves OpenCV's own."""
    import cv2

    from pipeline.services import Services

    before = cv2.getNumThreads()
    env = {"INSPECTPIPE_HOME": str(tmp_path), "INSPECTPIPE_WORKER_IMAGE_THREADS": value}
    try:
        cv2.setNumThreads(3)
        Services(load_settings(DEFAULT_CONFIG, env=env)).warm_up()
        assert cv2.getNumThreads() == (3 if expected is None else expected)
    finally:
        cv2.setNumThreads(before)
