"""Backend-specific store behaviour: local holds and sidecars, MinIO bucket setup."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import ConfigError, PermanentError
from pipeline.storage import open_store
from pipeline.storage.local import LocalStore
from tests.storage.conftest import store_settings


def test_local_layout_under_settings_path(tmp_path: Path) -> None:
    store = open_store(store_settings(tmp_path, "local", bucket="evid"))
    store.put("a/b.txt", b"hello", content_type="text/plain")
    assert (tmp_path / "store" / "evid" / "a" / "b.txt").read_bytes() == b"hello"
    assert (tmp_path / "store" / "evid" / ".meta" / "a" / "b.txt.json").exists()
    assert not list((tmp_path / "store" / "evid" / "a").glob(".tmp-*"))


def test_local_held_object_cannot_be_deleted_or_overwritten(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "b")
    store.put("k/x.jpg", b"x")
    store.set_legal_hold("k/x.jpg", True)
    with pytest.raises(PermanentError, match="legal hold"):
        store.delete("k/x.jpg")
    with pytest.raises(PermanentError, match="legal hold"):
        store.put("k/x.jpg", b"y")
    store.set_legal_hold("k/x.jpg", False)
    store.set_retention("k/x.jpg", datetime.now(UTC) - timedelta(seconds=1))  # already past
    store.delete("k/x.jpg")
    assert not store.exists("k/x.jpg")
    assert not (tmp_path / "b" / "k").exists()  # empty folders pruned


def test_local_key_used_as_folder_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "b")
    store.put("a/b", b"x")
    with pytest.raises(PermanentError, match="folder"):
        store.put("a", b"y")


def test_minio_bucket_setup(s3_endpoint: str, tmp_path: Path, unique: str) -> None:
    from pipeline.storage.minio_setup import AMQP_ARN, notification_config

    store = open_store(
        store_settings(tmp_path, "minio", endpoint=s3_endpoint, bucket=f"s-{unique}")
    )
    done = store.setup_bucket(object_lock=False)  # type: ignore[attr-defined]
    assert done["created"] and done["lifecycle"]
    # moto does not know MinIO's AMQP target, so it refuses the notification; setup carries on.
    assert done["notification"] is False
    again = store.setup_bucket(object_lock=False)  # type: ignore[attr-defined]
    assert not again["created"]
    rules = store.client.get_bucket_lifecycle(f"s-{unique}").rules  # type: ignore[attr-defined]
    assert rules[0].rule_filter.tag.key == "retention"
    queue = notification_config().queue_config_list[0]
    assert queue.queue == AMQP_ARN and queue.events == ["s3:ObjectCreated:*"]
    assert queue.suffix_filter_rule is not None
    assert queue.suffix_filter_rule.value == "manifest.json"
    # Without object lock, retention calls are logged no-ops.
    store.put("x/y.jpg", b"x")
    store.set_legal_hold("x/y.jpg", True)
    assert not store.retention("x/y.jpg").legal_hold
    store.set_tags("x/y.jpg", {"retention": "expired"})  # type: ignore[attr-defined]
    tags = store.client.get_object_tags(f"s-{unique}", "x/y.jpg")  # type: ignore[attr-defined]
    assert dict(tags) == {"retention": "expired"}


def test_missing_minio_sdk_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.delitem(sys.modules, "pipeline.storage.minio", raising=False)
    real_import = builtins.__import__

    def no_minio(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "minio" or name.startswith("minio."):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_minio)
    with pytest.raises(ConfigError, match="pip install"):
        open_store(store_settings(tmp_path, "minio"))
