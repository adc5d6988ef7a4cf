"""One typed settings object: defaults, then ``<workspace>/settings.toml``, then CLI overrides.

Unknown keys and values of the wrong type are errors that name the file and the key: a typo in
``settings.toml`` must not be silently ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sohoa.errors import SohoaError

SETTINGS_FILE = "settings.toml"
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")  # the htr engine's number format (ocr.cpu_inference)


class SettingsError(SohoaError, ValueError):
    """A settings file or override is malformed, has an unknown key or a bad value."""


@dataclass(frozen=True)
class Settings:
    device: str = "auto"  # auto | cpu | cuda (auto = CUDA when torch sees it)
    precision: str = "auto"  # htr on the CPU: auto (bf16 where the CPU has it) | fp32 | bf16
    engine_print: str = "tesseract"  # engine for printed text (headers, numbers)
    engine_hand: str = "htr"  # engine for handwritten fields
    batch_size: int = 32  # crops per recognition batch
    workers: int = 1  # pages processed in parallel
    lease_seconds: int = 600  # how long a clerk's claim on an entry lasts
    low_confidence: float = 0.9  # readings below this are highlighted for review
    max_image_pixels: int = 200_000_000  # larger images are refused (decompression bombs)
    pdf_dpi: int = 300  # rasterisation resolution for PDF scans
    pdf_max_kb: int = 100  # size limit of each per-entry PDF
    pdf_name_rule: str = "{so}_{year}_{name}_{sex}"  # per-entry PDF file name
    adapt_min_confirmed: int = 30  # a book is adapted to its writer from this many confirmations
    adapt_minutes: float = 4.0  # training time budget of one book adaptation

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise SettingsError(f"device: {self.device!r} is not one of {', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise SettingsError(
                f"precision: {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        for name in ("batch_size", "workers", "lease_seconds", "max_image_pixels", "pdf_dpi",
                     "pdf_max_kb"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.adapt_min_confirmed < 1 or not 0.0 < self.adapt_minutes <= 120.0:
            raise SettingsError("adapt_min_confirmed must be >= 1 and adapt_minutes in (0, 120]")
        if not 0.0 <= self.low_confidence <= 1.0:
            raise SettingsError(f"low_confidence: {self.low_confidence} not in [0, 1]")
        if not 36 <= self.pdf_dpi <= 1200:
            raise SettingsError(f"pdf_dpi: {self.pdf_dpi} not in 36-1200")


_TYPES: dict[str, type] = {
    f.name: {"str": str, "int": int, "float": float}[str(f.type)] for f in fields(Settings)
}


def _coerce(where: str, key: str, value: Any, from_text: bool) -> Any:
    """Check (and for command-line strings, convert) one value against the field's type."""
    if key not in _TYPES:
        known = ", ".join(sorted(_TYPES))
        raise SettingsError(f"{where}: unknown key {key!r} (known keys: {known})")
    want = _TYPES[key]
    if from_text and isinstance(value, str) and want is not str:
        try:
            value = want(value.replace("_", ""))
        except ValueError as exc:
            raise SettingsError(
                f"{where}: {key} = {value!r} is not of type {want.__name__}"
            ) from exc
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, want):
        raise SettingsError(
            f"{where}: {key} must be of type {want.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def _build(base: Settings, where: str, values: dict[str, Any], from_text: bool) -> Settings:
    clean = {k: _coerce(where, k, v, from_text) for k, v in values.items()}
    try:
        return replace(base, **clean)
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from exc


def read_settings_file(path: Path, base: Settings | None = None) -> Settings:
    """Settings from one TOML file (flat keys) on top of ``base`` (defaults if None)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    for key, value in data.items():
        if isinstance(value, dict):
            raise SettingsError(f"{path}: unknown table [{key}] (settings are flat keys)")
    return _build(base or Settings(), str(path), data, from_text=False)


def load_settings(
    workspace: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Defaults < ``<workspace>/settings.toml`` (if present) < ``overrides`` (None values skipped).

    Override values may be strings as typed on a command line (``"64"`` for an int).
    """
    settings = Settings()
    if workspace is not None:
        file = Path(workspace) / SETTINGS_FILE
        if file.exists():
            settings = read_settings_file(file, settings)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if given:
        settings = _build(settings, "command line", given, from_text=True)
    return settings
