"""Re-enqueue stored inspections for the verify workers, with progress, rate and cursor.

Each selected attempt gets the object-created event of its manifest on the ``evidence``
exchange (routing key ``manifest.reprocess``), exactly what an upload sends, so the verify
workers do the work. The target is the current pipeline version: the worker stores its
result beside the older ones (``results/<version>.json``) and the review intake updates the
attempt's review item (audited with the previous verdict and reasons). Attempts that already
have a result of the target version are counted and skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from pipeline.bus.base import EVIDENCE, MessageBus
from pipeline.bus.events import object_created_event
from pipeline.errors import ObjectNotFound
from pipeline.package import MANIFEST_NAME
from pipeline.reprocess.cursor import Counts, Cursor, CursorFile, RateLimiter
from pipeline.reprocess.selection import Selection, candidates, count, max_inspection_id
from pipeline.runner import pipeline_version
from pipeline.services import Services

log = logging.getLogger(__name__)

ROUTING_KEY = "manifest.reprocess"


def cursor_folder(services: Services) -> Path:
    """Where cursors are kept: ``$INSPECTPIPE_HOME/reprocess``."""
    return services.settings.home_path() / "reprocess"


def reprocess(
    services: Services,
    selection: Selection,
    *,
    rate: float | None = None,
    resume: bool = False,
    progress: TextIO | None = None,
    bus: MessageBus | None = None,
    limiter: RateLimiter | None = None,
) -> Cursor:
    """Run (or resume) a reprocess; the cursor holds the counts. See the module docstring."""
    version = pipeline_version(services)
    key = selection.key(version)
    store_file = CursorFile(cursor_folder(services), key)
    cursor = store_file.load() if resume else None
    if cursor is None:
        cursor = _start(services, selection, version, key)
        store_file.save(cursor)
    if cursor.finished:
        return cursor
    bus = bus or services.bus
    limiter = limiter or RateLimiter(rate)
    bar = tqdm(
        total=cursor.counts.selected,
        initial=cursor.done,
        file=progress,
        unit="insp",
        desc="reprocess",
        dynamic_ncols=True,
        mininterval=0.2,
    )
    try:
        for cand in candidates(
            services.database,
            selection,
            services.settings.timezone,
            version,
            after=cursor.last_id,
            max_id=cursor.max_id,
        ):
            _one(services, bus, limiter, version, cand.prefix, cand.current, cursor.counts)
            cursor.last_id = cand.pk
            store_file.save(cursor)
            bar.update(1)
        cursor.finished = True
        store_file.save(cursor)
    finally:
        store_file.save(cursor)  # an interrupted run resumes after the last confirmed publish
        bar.close()
    return cursor


def _start(services: Services, selection: Selection, version: str, key: str) -> Cursor:
    max_id = max_inspection_id(services.database)
    selected = count(services.database, selection, services.settings.timezone, max_id=max_id)
    return Cursor(
        key=key,
        version=version,
        selection=selection.to_json(),
        max_id=max_id,
        counts=Counts(selected=selected),
    )


def _one(
    services: Services,
    bus: MessageBus,
    limiter: RateLimiter,
    version: str,
    prefix: str,
    current: bool,
    counts: Counts,
) -> None:
    """Publish one attempt's manifest event (or count why not)."""
    if current:
        counts.current += 1
        return
    manifest_key = prefix + MANIFEST_NAME
    try:
        info = services.store.stat(manifest_key)
    except ObjectNotFound:
        log.warning("%s: manifest is gone from the store; not reprocessed", manifest_key)
        counts.missing += 1
        return
    limiter.acquire()
    body = object_created_event(services.settings.store.bucket, info.key, info.size, info.etag)
    bus.publish(
        EVIDENCE,
        ROUTING_KEY,
        body,
        headers={"x-inspectpipe-reprocess": version},
        message_id=f"{info.key}@{info.etag}@reprocess",
    )
    counts.enqueued += 1
