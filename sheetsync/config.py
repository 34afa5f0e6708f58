"""Settings from options, environment and an optional TOML file; where the reference data lives.

Precedence: explicit option > environment > config file > default. The config file never holds
secrets (AliExpress and SMTP credentials come from the environment only).
"""

from __future__ import annotations

import csv
import math
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import ConfigError
from .outputs import is_special

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
    request_deadline: float = 60.0  # seconds a whole platform call may take, retries included
    lock_timeout: float = 30.0  # seconds an import waits for another import to finish
    country_warehouses: dict[str, str] = field(default_factory=dict)


def store_path(option: str | os.PathLike | None) -> Path:
    """`--store`, else `$SHEETSYNC_STORE`, else `./sheetsync.db`."""
    return Path(option or os.environ.get("SHEETSYNC_STORE") or DEFAULT_STORE)


def shown_store(path: Path) -> str | None:
    """The store as a suggested command must name it (`--store PATH`): None for the default
    ./sheetsync.db, which a command without --store uses anyway."""
    return None if path == Path(DEFAULT_STORE) else str(path)


# Each number setting: its type and the range it must fall in (inclusive). A NaN, an infinity, a
# boolean or text where a number belongs is refused with the key named: a NaN price limit would
# silently let any price through.
_NUMBER_SETTINGS: dict[str, tuple[type, float, float]] = {
    "max_price_change_pct": (float, 0.01, 1_000_000), "max_stock_jump": (int, 0, 999_999),
    "rate_limit_per_second": (float, 0.01, 1_000), "connect_timeout": (float, 0.1, 600),
    "read_timeout": (float, 0.1, 3_600), "lock_timeout": (float, 0, 86_400), "request_deadline": (float, 0.1, 86_400),
}


def load_settings(config_file: str | os.PathLike | None, store: Path) -> Settings:
    """Read `--config FILE`, else `sheetsync.toml` beside the store when it exists. Every value is
    checked (type, finite, in range) with a sentence naming the key."""
    path = Path(config_file) if config_file else store.parent / CONFIG_NAME
    settings = Settings()
    if not path.exists():
        if config_file:
            raise ConfigError("config_invalid", path=str(path), detail_key="config_missing")
        return settings
    if is_special(path):
        raise ConfigError("input_not_file", path=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError("config_invalid", path=str(path), detail_key="config_not_toml", error=str(exc)) from exc

    def refuse(detail: str, **params: object) -> ConfigError:
        return ConfigError("config_invalid", path=str(path), detail_key=detail, **params)

    for key, value in data.items():
        if key in _NUMBER_SETTINGS:
            kind, low, high = _NUMBER_SETTINGS[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    (kind is int and isinstance(value, float) and not value.is_integer()):
                raise refuse("config_whole_number" if kind is int else "config_number", key=key, value=repr(value))
            if not math.isfinite(value) or not low <= value <= high:
                raise refuse("config_range", key=key, low=f"{low:g}", high=f"{high:g}", value=repr(value))
            setattr(settings, key, kind(value))
        elif key == "lang":
            if value not in ("en", "zh"):
                raise refuse("config_lang", value=repr(value))
            settings.lang = value
        elif key == "preview_countries":
            if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
                raise refuse("config_preview")
            settings.preview_countries = tuple(c.strip().upper() for c in value)
        elif key == "country_warehouses":
            if not isinstance(value, dict) or not all(isinstance(w, str) and w.strip() for w in value.values()):
                raise refuse("config_warehouses")
            settings.country_warehouses = {str(k).strip().upper(): w.strip() for k, w in value.items()}
        else:
            raise refuse("config_unknown_key", key=repr(key))
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
