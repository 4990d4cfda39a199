"""The config tables: photo-type codes (照片种类) and reason labels."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class PhotoType:
    """One 照片种类 code: its name, whether it is a document, and the checks run on it."""

    code: str
    name: str
    checks: tuple[str, ...]
    document: bool = False


@dataclass(frozen=True)
class RequiredRule:
    """Codes required for vehicle types whose code starts with one of ``prefixes``."""

    prefixes: tuple[str, ...]
    codes: tuple[str, ...]

    def matches(self, vehicle_type: str) -> bool:
        """True if this rule applies to the vehicle type (``*`` applies to all)."""
        return any(p == "*" or vehicle_type.upper().startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class PhotoTypeTable:
    """The whole photo-type table."""

    codes: dict[str, PhotoType]
    inspection_checks: tuple[str, ...]
    required: tuple[RequiredRule, ...]

    def required_codes(self, vehicle_type: str) -> tuple[str, ...]:
        """The codes a vehicle of this type must have (first matching rule)."""
        for rule in self.required:
            if rule.matches(vehicle_type):
                return rule.codes
        return ()

    def checks_for(self, code: str) -> tuple[str, ...]:
        """Checks configured for a code; unknown codes get none (decode still runs)."""
        pt = self.codes.get(code)
        return pt.checks if pt else ()

    def name_of(self, code: str) -> str:
        """The Chinese name of a code, or the code itself."""
        pt = self.codes.get(code)
        return pt.name if pt else code

    def all_check_names(self) -> set[str]:
        """Every check named anywhere in the table."""
        names = set(self.inspection_checks)
        for pt in self.codes.values():
            names.update(pt.checks)
        return names


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"table {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"table {path} is not valid TOML: {exc}") from None


def load_photo_types(path: Path) -> PhotoTypeTable:
    """Load and validate the photo-type table."""
    doc = _load(path)
    unknown = set(doc) - {"codes", "inspection", "required"}
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r}")
    codes: dict[str, PhotoType] = {}
    for code, entry in doc.get("codes", {}).items():
        bad = set(entry) - {"name", "checks", "document"}
        if bad:
            raise ConfigError(f"{path}: unknown key 'codes.{code}.{sorted(bad)[0]}'")
        checks = entry.get("checks", [])
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            raise ConfigError(f"{path}: 'codes.{code}.checks' must be a list of check names")
        codes[code] = PhotoType(
            code=code,
            name=str(entry.get("name", code)),
            checks=tuple(checks),
            document=bool(entry.get("document", False)),
        )
    rules = []
    for i, rule in enumerate(doc.get("required", [])):
        bad = set(rule) - {"vehicle_types", "codes"}
        if bad:
            raise ConfigError(f"{path}: unknown key 'required[{i}].{sorted(bad)[0]}'")
        rules.append(
            RequiredRule(tuple(rule.get("vehicle_types", [])), tuple(rule.get("codes", [])))
        )
    insp = doc.get("inspection", {})
    if set(insp) - {"checks"}:
        raise ConfigError(f"{path}: unknown key under 'inspection'")
    return PhotoTypeTable(codes, tuple(insp.get("checks", [])), tuple(rules))


@dataclass(frozen=True)
class Reason:
    """A reason code with its English and Chinese labels."""

    code: str
    en: str
    zh: str


def load_reasons(path: Path) -> dict[str, Reason]:
    """Load the reason-code labels."""
    doc = _load(path)
    out: dict[str, Reason] = {}
    for code, entry in doc.get("reasons", {}).items():
        if not isinstance(entry, dict) or set(entry) != {"en", "zh"}:
            raise ConfigError(f"{path}: 'reasons.{code}' must have exactly 'en' and 'zh'")
        out[code] = Reason(code, str(entry["en"]), str(entry["zh"]))
    return out
