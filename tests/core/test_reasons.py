"""Every reason code the code can emit has English and Chinese labels in config/reasons.toml."""

from __future__ import annotations

import ast
from pathlib import Path

from pipeline.config import CONFIG_DIR
from pipeline.tables import load_reasons

ROOT = Path(__file__).resolve().parents[2]


def emitted_reasons() -> set[str]:
    """String literals passed as a reason: failed("x"), review("x"), reason="x", Result(_, "x")."""
    found: set[str] = set()
    for path in (ROOT / "pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            args = node.args
            if name in {"failed", "review"} and args and isinstance(args[0], ast.Constant):
                found.add(str(args[0].value))
            second = args[1] if len(args) > 1 else None
            if name == "Result" and isinstance(second, ast.Constant) and second.value:
                found.add(str(second.value))
            for kw in node.keywords:
                value = kw.value
                if kw.arg == "reason" and isinstance(value, ast.Constant) and value.value:
                    found.add(str(value.value))
    return found


def test_all_emitted_reasons_have_labels() -> None:
    labels = load_reasons(CONFIG_DIR / "reasons.toml")
    missing = sorted(emitted_reasons() - set(labels))
    assert not missing, f"reason codes without labels in config/reasons.toml: {missing}"
    assert {"plate_mismatch", "vin_mismatch", "photo_reused", "check_error"} <= set(labels)
