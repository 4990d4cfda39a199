"""The object-store contract, run against the local folder and a real S3 server (moto)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pipeline.errors import (
    ConfigError,
    EvidenceError,
    ObjectNotFound,
    PermanentError,
    StoreUnavailable,
    UnsafePathError,
)
from pipeline.storage import open_store
from pipeline.storage.base import ObjectStore
from tests.conftest import free_port
from tests.storage.conftest import store_settings

JPEG_HEAD = b"\xff\xd8\xff\xe0" + b"\x00" * 60


def test_put_get_stat_exists_delete(store: ObjectStore) -> None:
    info = store.put("st1/insp1/a.jpg", JPEG_HEAD, content_type="image/jpeg")
    assert info.key == "st1/insp1/a.jpg"
    assert info.size == len(JPEG_HEAD)
    assert info.etag == hashlib.md5(JPEG_HEAD).hexdigest()
    assert store.get("st1/insp1/a.jpg") == JPEG_HEAD
    st = store.stat("st1/insp1/a.jpg")
    assert (st.size, st.etag, st.content_type) == (info.size, info.etag, "image/jpeg")
    assert st.last_modified is not None
    assert store.exists("st1/insp1/a.jpg")
    store.delete("st1/insp1/a.jpg")
    assert not store.exists("st1/insp1/a.jpg")
    store.delete("st1/insp1/a.jpg")  # deleting twice is fine


def test_metadata_and_content_type_round_trip(store: ObjectStore) -> None:
    store.put(
        "m/manifest.json",
        b"{}",
        content_type="application/json",
        metadata={"Station": "ST-01", "inspection-id": "abc_123"},
    )
    st = store.stat("m/manifest.json")
    assert st.content_type == "application/json"
    assert st.metadata == {"station": "ST-01", "inspection-id": "abc_123"}


def test_overwrite_replaces_bytes_and_metadata(store: ObjectStore) -> None:
    store.put("o/x.bin", b"first", metadata={"v": "1"})
    info = store.put("o/x.bin", b"second version", metadata={"v": "2"})
    assert store.get("o/x.bin") == b"second version"
    assert info.size == len(b"second version")
    assert store.stat("o/x.bin").metadata == {"v": "2"}


def test_missing_object_raises_object_not_found(store: ObjectStore) -> None:
    for call in (store.get, store.stat):
        with pytest.raises(ObjectNotFound):
            call("no/such/key.jpg")
    assert not store.exists("no/such/key.jpg")


@pytest.mark.parametrize("key", ["../x", "/abs", "a\\b", "a\x00b", "a/../b", "a//b", "", ".meta/x"])
def test_unsafe_keys_are_rejected(store: ObjectStore, key: str) -> None:
    with pytest.raises(UnsafePathError):
        store.put(key, b"x")
    with pytest.raises(UnsafePathError):
        store.get(key)


def test_list_in_key_order_with_prefix(store: ObjectStore) -> None:
    keys = ["p/b/2.jpg", "p/a.jpg", "p/b/1.jpg", "p-other/z.jpg", "q/c.jpg", "p/c.json"]
    for k in keys:
        store.put(k, k.encode())
    listed = [o.key for o in store.list("p/")]
    assert listed == ["p/a.jpg", "p/b/1.jpg", "p/b/2.jpg", "p/c.json"]
    flat = [o.key for o in store.list("p/", recursive=False)]
    assert flat == ["p/a.jpg", "p/c.json"]
    everything = [o.key for o in store.list("")]
    assert everything == sorted(keys, key=lambda k: k.encode())
    assert [o.size for o in store.list("q/")] == [len(b"q/c.jpg")]


def test_max_bytes_guard(store: ObjectStore) -> None:
    store.put("big/file.bin", b"x" * 5000)
    assert store.get("big/file.bin", max_bytes=5000) == b"x" * 5000
    with pytest.raises(EvidenceError) as err:
        store.get("big/file.bin", max_bytes=4999)
    assert err.value.reason == "evidence_too_large"
    assert err.value.key == "big/file.bin"


def test_cjk_keys(store: ObjectStore) -> None:
    key = "站点01/检验-2024/车辆识别代号拓印膜.jpg"
    store.put(key, b"cjk", metadata={"station": "01"})
    assert store.get(key) == b"cjk"
    assert [o.key for o in store.list("站点01/")] == [key]
    assert store.stat(key).metadata == {"station": "01"}


def test_retention_and_legal_hold_readable(store: ObjectStore) -> None:
    store.put("r/evidence.jpg", b"keep me")
    until = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    store.set_retention("r/evidence.jpg", until)
    store.set_legal_hold("r/evidence.jpg", True)
    ret = store.retention("r/evidence.jpg")
    assert ret.mode == "GOVERNANCE"
    assert ret.until is not None and abs((ret.until - until).total_seconds()) < 1
    assert ret.legal_hold
    assert ret.active(datetime.now(UTC))
    store.set_legal_hold("r/evidence.jpg", False)
    assert not store.retention("r/evidence.jpg").legal_hold
    with pytest.raises(PermanentError, match="retention"):
        store.delete("r/evidence.jpg")  # retention still runs
    assert store.get("r/evidence.jpg") == b"keep me"


def test_legal_hold_blocks_delete_until_cleared(store: ObjectStore) -> None:
    store.put("h/a.jpg", b"v1")
    store.put("h/a.jpg", b"v2")  # on MinIO an older version exists too
    store.set_legal_hold("h/a.jpg", True)
    with pytest.raises(PermanentError, match="legal hold"):
        store.delete("h/a.jpg")
    assert store.get("h/a.jpg") == b"v2"
    store.set_legal_hold("h/a.jpg", False)
    store.delete("h/a.jpg")
    assert not store.exists("h/a.jpg")
    assert [o.key for o in store.list("h/")] == []


def test_bad_metadata_rejected(store: ObjectStore) -> None:
    with pytest.raises(PermanentError):
        store.put("meta/x", b"x", metadata={"note": "车辆"})
    with pytest.raises(PermanentError):
        store.put("meta/x", b"x", metadata={"bad key": "v"})


def test_presigned_round_trip(store: ObjectStore, backend: str) -> None:
    if backend == "local":
        with pytest.raises(ConfigError, match="minio"):
            store.presigned_put("s/a.jpg")
        with pytest.raises(ConfigError, match="minio"):
            store.presigned_get("s/a.jpg")
        return
    put_url = store.presigned_put("s/照片.jpg", expires_seconds=300)
    resp = httpx.put(put_url, content=JPEG_HEAD, headers={"Content-Type": "image/jpeg"})
    assert resp.status_code == 200, resp.text
    st = store.stat("s/照片.jpg")
    assert (st.size, st.content_type) == (len(JPEG_HEAD), "image/jpeg")
    got = httpx.get(store.presigned_get("s/照片.jpg"))
    assert got.status_code == 200 and got.content == JPEG_HEAD


def test_store_unavailable_fails_fast(tmp_path: Path) -> None:
    settings = store_settings(tmp_path, "minio", endpoint=f"127.0.0.1:{free_port()}", bucket="down")
    store = open_store(settings)
    started = time.monotonic()
    for call in (lambda: store.get("a/b"), lambda: store.put("a/b", b"x")):
        with pytest.raises(StoreUnavailable):
            call()
    with pytest.raises(StoreUnavailable):
        list(store.list("a/"))
    print(f"three calls against a closed port failed in {time.monotonic() - started:.2f} s")
