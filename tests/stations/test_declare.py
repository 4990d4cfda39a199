"""The declared file list is checked against the manifest; each error names the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.config import LimitSettings
from pipeline.errors import ManifestError
from pipeline.manifest import parse_manifest
from pipeline.stations.declare import FileDecl, check_declaration, describe_folder, with_checksums
from tests.packages import make_package

SHA = "a" * 64


def decl(name: str, size: int = 10, sha: str = SHA) -> FileDecl:
    return FileDecl(name=name, size=size, sha256=sha)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_package(tmp_path, codes=["0111", "J"], frames={"0344": 2})


def test_a_folder_declares_every_file_as_the_direct_upload_reads_it(folder: Path) -> None:
    (folder / "0344" / "notes.txt").write_text("not a frame")
    manifest = parse_manifest((folder / "manifest.json").read_bytes())
    files = describe_folder(folder, manifest, LimitSettings())
    names = [f.name for f in files]
    assert names == ["0111.jpg", "J.jpg", "0344/0000.jpg", "0344/0001.jpg"]
    data = (folder / "J.jpg").read_bytes()
    assert files[1].size == len(data) and files[1].sha256 == hashlib.sha256(data).hexdigest()
    declared = check_declaration(manifest, files, LimitSettings())
    assert [d.content_type for d in declared] == ["image/jpeg"] * 4
    stored = with_checksums(manifest.raw, declared)
    assert [e.get("sha256") for e in stored["evidence"]] == [
        files[0].sha256,
        files[1].sha256,
        None,
    ]


@pytest.mark.parametrize(
    ("names", "named"),
    [
        (["0111.jpg", "J.jpg", "0344/0000.jpg", "extra.jpg"], "extra.jpg"),
        (["0111.jpg", "J.jpg", "0344/0000.jpg", "0344/x.exe"], "0344/x.exe"),
        (["0111.jpg", "J.jpg", "0344/0000.jpg", "results/v1.json"], "results/v1.json"),
        (["0111.jpg", "J.jpg", "0344/0000.jpg", "manifest.json"], "manifest.json"),
        (["0111.jpg", "J.jpg", "0344/0000.jpg", "../x.jpg"], "../x.jpg"),
        (["0111.jpg", "J.jpg", "0344/0000.jpg", "0111.jpg"], "0111.jpg"),
        (["0111.jpg", "0344/0000.jpg"], "J.jpg"),
        (["0111.jpg", "J.jpg"], "0344/"),
    ],
)
def test_bad_declarations_name_the_file(folder: Path, names: list[str], named: str) -> None:
    manifest = parse_manifest((folder / "manifest.json").read_bytes())
    with pytest.raises(ManifestError, match=named.replace(".", r"\.")):
        check_declaration(manifest, [decl(n) for n in names], LimitSettings())


def test_limits_and_manifest_checksums_apply(folder: Path) -> None:
    manifest = parse_manifest((folder / "manifest.json").read_bytes())
    names = ["0111.jpg", "J.jpg", "0344/0000.jpg"]
    small = LimitSettings(max_file_bytes=1024)
    with pytest.raises(ManifestError, match=r"0111\.jpg.*over"):
        check_declaration(manifest, [decl(n, size=5000) for n in names], small)
    frames = [decl(f"0344/{i:04d}.jpg") for i in range(3)]
    with pytest.raises(ManifestError, match="0344/"):
        check_declaration(
            manifest, [decl("0111.jpg"), decl("J.jpg"), *frames], LimitSettings(max_frames=2)
        )
    raw = manifest.raw | {
        "evidence": [
            {**manifest.raw["evidence"][0], "sha256": "b" * 64},
            *manifest.raw["evidence"][1:],
        ]
    }
    from pipeline.manifest import manifest_from_json

    with pytest.raises(ManifestError, match=r"0111\.jpg.*sha256"):
        check_declaration(manifest_from_json(raw), [decl(n) for n in names], LimitSettings())
