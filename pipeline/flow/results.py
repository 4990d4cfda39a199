"""Store a verdict beside its evidence: artifacts first, then the result JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pipeline.layout import PackageAddress
from pipeline.records import Finding, Verdict
from pipeline.storage.base import ObjectStore


def store_verdict(
    store: ObjectStore, address: PackageAddress, verdict: Verdict
) -> tuple[str, Verdict]:
    """Write artifacts and the verdict JSON; return the result key and the verdict whose
    findings reference their artifact keys in ``detail["artifacts"]``."""
    findings: list[Finding] = []
    for f in verdict.findings:
        if not f.artifacts:
            findings.append(f)
            continue
        keys: dict[str, str] = {}
        for name, data in f.artifacts.items():
            key = address.artifact_key(verdict.pipeline_version, f.file, f.check, name)
            store.put(key, data, content_type="image/jpeg")
            keys[name] = key
        detail = dict(f.detail)
        detail["artifacts"] = keys
        findings.append(replace(f, detail=detail, artifacts={}))
    stored = replace(verdict, findings=tuple(findings))
    key = address.result_key(verdict.pipeline_version)
    body = json.dumps(result_document(stored, address), ensure_ascii=False, indent=1).encode()
    store.put(key, body, content_type="application/json")
    return key, stored


def result_document(verdict: Verdict, address: PackageAddress) -> dict[str, Any]:
    """The stored/published form: the verdict JSON plus where the package lives."""
    doc = verdict.to_json()
    doc["prefix"] = address.prefix
    doc["result_key"] = address.result_key(verdict.pipeline_version)
    return doc
