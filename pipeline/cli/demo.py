"""``inspectpipe demo``: the sample inspections through the whole flow, then a summary.

upload (evidence first, manifest last, event) → bus → verify workers → verdicts →
review intake → database, all on the configured backends (embedded by default).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.cli.app import App
from pipeline.config import PROJECT_ROOT
from pipeline.errors import ObjectNotFound, PipelineError, UsageError
from pipeline.layout import address_for
from pipeline.manifest import parse_manifest
from pipeline.runner import pipeline_version
from pipeline.services import Services
from pipeline.upload import upload_package

DEFAULT_SAMPLES = PROJECT_ROOT / "samples" / "packages"


def register(sub: Any) -> None:
    """Add ``demo``."""
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="run the sample inspections through the whole flow and summarise"
    )
    p.add_argument("--samples", default=str(DEFAULT_SAMPLES), help="folder of sample packages")
    p.add_argument("--workers", type=int, default=2, help="verify worker threads (default 2)")
    p.set_defaults(func=run)


def find_packages(root: Path) -> list[Path]:
    """Package folders (holding a manifest.json) directly under ``root``, sorted."""
    if not root.is_dir():
        raise UsageError(f"samples folder {root} does not exist")
    found = sorted(p for p in root.iterdir() if (p / "manifest.json").is_file())
    if not found:
        raise UsageError(f"no package folders with a manifest.json under {root}")
    return found


def run(args: argparse.Namespace, app: App) -> int:
    """Upload every sample, run the workers until the queues drain, print the summary."""
    from workers import review_intake, verify

    services = app.services
    root = Path(args.samples)
    packages = find_packages(root)
    print(f"inspectpipe demo: {len(packages)} sample inspections from {root}")
    print(
        f"  store {services.settings.store.backend}, bus {services.settings.bus.backend}, "
        f"database {services.settings.database.url.split(':')[0]}, "
        f"home {services.settings.home_path()}"
    )
    seeded = seed_office_data(services, root)
    if seeded:
        print(f"  office data: {seeded}")
    t0 = time.perf_counter()
    photos = 0
    for folder in packages:
        try:
            report = upload_package(folder, services.store, services.bus, services.settings)
            photos += len(report.uploaded) + len(report.skipped)
        except PipelineError as exc:
            print(f"  upload refused for {folder.name}: {exc}")
    print(
        f"  uploaded {len(packages)} packages ({photos} files) in {time.perf_counter() - t0:.1f} s"
    )
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=verify.run,
            args=(services,),
            kwargs={"stop": stop, "idle_timeout": 1.5},
            name=f"verify-{i}",
        )
        for i in range(max(1, args.workers))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    review_intake.run(services, stop=stop, idle_timeout=1.0)
    elapsed = time.perf_counter() - t0
    return summarise(services, root, packages, elapsed, photos)


def seed_office_data(services: Services, root: Path) -> str:
    """Import the sample registry and reference rubbings when the samples ship them."""
    notes = []
    registry = root / "registry.csv"
    if registry.is_file():
        from pipeline.db.registry import import_registry_csv

        report = import_registry_csv(services.database, registry)
        notes.append(f"{report.imported} registry vehicles")
    refs = root / "references"
    if refs.is_dir():
        from pipeline.vin.references import folder_items

        count = 0
        reader = services.ocr_if_enabled
        for vin, path in folder_items(refs):
            services.references.enroll(
                vin, path.read_bytes(), source="registration", enrolled_by="demo", reader=reader
            )
            count += 1
        notes.append(f"{count} reference rubbings")
    return ", ".join(notes)


def summarise(
    services: Services, root: Path, packages: list[Path], elapsed: float, files: int
) -> int:
    """Print verdicts (against the truth file when present), top reasons and timing."""
    truth = _truth(root)
    version = pipeline_version(services)
    verdicts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    agree = 0
    print(f"\n  {'inspection':<22}{'verdict':<9}{'expected':<10}reasons")
    for folder in packages:
        manifest = parse_manifest((folder / "manifest.json").read_bytes())
        addr = address_for(manifest.station_id, manifest.inspection_id, manifest.attempt)
        try:
            doc = json.loads(services.store.get(addr.result_key(version)))
        except ObjectNotFound:
            print(f"  {manifest.inspection_id:<22}{'(none)':<9}")
            continue
        got = doc["verdict"]
        verdicts[got] += 1
        found = sorted(
            {f["reason"] for f in doc["findings"] if f["outcome"] != "pass" and f["reason"]}
        )
        reasons.update(found)
        expected = truth.get(folder.name, {}).get("verdict", "")
        agree += int(expected == got)
        labels = ", ".join(found[:4]) + (" …" if len(found) > 4 else "")
        print(f"  {manifest.inspection_id:<22}{got:<9}{expected or '-':<10}{labels}")
    total = sum(verdicts.values())
    print(f"\n  {total} inspections: " + ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items())))
    if truth:
        print(f"  agree with the truth file on {agree} of {len(packages)}")
    table = services.reasons
    print("  top reasons:")
    for reason, count in reasons.most_common(8):
        zh = table[reason].zh if reason in table else ""
        print(f"    {count:>3}  {reason:<28}{zh}")
    print(f"  {files} files verified in {elapsed:.1f} s ({files / max(elapsed, 1e-9):.1f} files/s)")
    print("\n  Open the reviewers' console:")
    print("    inspectpipe users add admin --role admin     # once, asks for a password")
    print(
        f"    inspectpipe review serve                     # then http://"
        f"{services.settings.console.host}:{services.settings.console.port}/"
    )
    return 0 if total == len(packages) else 1


def _truth(root: Path) -> dict[str, Any]:
    for path in (root / "truth.json", root.parent / "truth.json"):
        if path.is_file():
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return data
    return {}
