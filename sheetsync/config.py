"""Settings from options, environment and an optional TOML file; where the reference data lives.

Precedence: explicit option > environment > config file > default. The config file never holds
secrets (AliExpress and SMTP credentials come from the environment only).
"""

from __future__ import annotations

import csv
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import ConfigError

DEFAULT_STORE = "sheetsync.db"
CONFIG_NAME = "sheetsync.toml"


@dataclass(frozen=True)
class Country:
    code: str
    name_en: str
    name_zh: str


@dataclass
class Settings:
    lang: str = "en"
    preview_countries: tuple[str, ...] = ()  # empty: the store's biggest markets
    max_price_change_pct: float = 50.0
    max_stock_jump: int = 10_000
    rate_limit_per_second: float = 4.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    lock_timeout: float = 30.0  # seconds an import waits for another import to finish
    country_warehouses: dict[str, str] = field(default_factory=dict)


def store_path(option: str | os.PathLike | None) -> Path:
    """`--store`, else `$SHEETSYNC_STORE`, else `./sheetsync.db`."""
    return Path(option or os.environ.get("SHEETSYNC_STORE") or DEFAULT_STORE)


_SETTING_TYPES = {
    "lang": str, "max_price_change_pct": float, "max_stock_jump": int,
    "rate_limit_per_second": float, "connect_timeout": float, "read_timeout": float, "lock_timeout": float,
}


def load_settings(config_file: str | os.PathLike | None, store: Path) -> Settings:
    """Read `--config FILE`, else `sheetsync.toml` beside the store when it exists."""
    path = Path(config_file) if config_file else store.parent / CONFIG_NAME
    settings = Settings()
    if not path.exists():
        if config_file:
            raise ConfigError("config_invalid", path=str(path), detail="file not found")
        return settings
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("config_invalid", path=str(path), detail=str(exc)) from exc
    for key, value in data.items():
        if key in _SETTING_TYPES:
            try:
                setattr(settings, key, _SETTING_TYPES[key](value))
            except (TypeError, ValueError) as exc:
                raise ConfigError("config_invalid", path=str(path), detail=f"{key}: {exc}") from exc
        elif key == "preview_countries":
            settings.preview_countries = tuple(str(c).upper() for c in value)
        elif key == "country_warehouses":
            settings.country_warehouses = {str(k).upper(): str(v) for k, v in dict(value).items()}
        else:
            raise ConfigError("config_invalid", path=str(path), detail=f"unknown setting {key!r}")
    if settings.lang not in ("en", "zh"):
        raise ConfigError("config_invalid", path=str(path), detail="lang must be en or zh")
    return settings


def _data_dir(package: str, folder: str) -> Path:
    """An installed data package, or the folder beside `sheetsync/` when the package is imported
    straight from a source checkout (where `sheetsync.templates` is not a subpackage on disk)."""
    try:
        return Path(str(resources.files(package)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / folder


def reference_file(name: str) -> Path:
    """A file from the bundled `templates/` directory (installed as `sheetsync.templates`)."""
    return _data_dir("sheetsync.templates", "templates") / name


def sample_data_dir() -> Path:
    return _data_dir("sheetsync.sample_data", "sample_data")


def read_csv_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV that may carry `#` comment lines, each with its 1-based line number in the file."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return []
    reader = csv.reader([line for _, line in numbered])
    header = [h.strip() for h in next(reader)]
    rows = []
    for (line_no, _), values in zip(numbered[1:], reader, strict=True):
        rows.append((line_no, dict(zip(header, (v.strip() for v in values), strict=False))))
    return rows


def csv_header(path: Path) -> list[str]:
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return [h.strip() for h in next(csv.reader([line]))]
    return []


def bundled_countries() -> list[Country]:
    return [Country(r["code"], r["name_en"], r["name_zh"]) for _, r in read_csv_rows(reference_file("countries.csv"))]
