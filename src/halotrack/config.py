"""Where settings come from: CLI flags > `HALOTRACK_*` environment > config TOML > defaults.

Why: one resolution rule for every command, so a user can put `api`, `db` or `client_id`
in the config file once and override any of them for one run.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from halotrack.errors import ConfigError

APP = "halotrack"


def config_dir() -> Path:
    return Path(os.environ.get("HALOTRACK_CONFIG_DIR") or platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(os.environ.get("HALOTRACK_DATA_DIR") or platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    return Path(os.environ.get("HALOTRACK_CACHE_DIR") or platformdirs.user_cache_dir(APP))


def config_file() -> Path:
    return Path(os.environ.get("HALOTRACK_CONFIG") or config_dir() / "config.toml")


def load_file(path: Path | None = None) -> dict[str, Any]:
    """Read the TOML config; a missing file is an empty config, a broken one a ConfigError."""
    path = path or config_file()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc}", hint="fix or remove the file"
        ) from exc


@dataclass
class Settings:
    """Resolved settings for one run. `None` means "not set anywhere": use the default."""

    api: str | None = None
    db: str | None = None
    client_id: str | None = None
    spartan_token: str | None = field(default=None, repr=False)
    clearance: str | None = field(default=None, repr=False)
    rate: float = 5.0
    concurrency: int = 4
    timeout: float = 30.0
    retries: int = 5
    max_body: int | None = None
    deadline: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    def source_of(self, name: str) -> str:
        """Where a setting came from, as the user would name it: `--db`, `HALOTRACK_DB`..."""
        return self.sources.get(name, _flag(name))

    def database_url(self) -> str:
        """A SQLAlchemy URL: `--db` may be a plain path or a full URL."""
        db = self.db or str(data_dir() / "halotrack.sqlite")
        if "://" in db:
            return db
        return f"sqlite:///{Path(db).expanduser().resolve()}"


_ENV = {
    "api": "HALOTRACK_API",
    "db": "HALOTRACK_DB",
    "client_id": "HALOTRACK_CLIENT_ID",
    "spartan_token": "HALOTRACK_SPARTAN_TOKEN",
    "clearance": "HALOTRACK_CLEARANCE",
    "rate": "HALOTRACK_RATE",
    "concurrency": "HALOTRACK_CONCURRENCY",
    "timeout": "HALOTRACK_TIMEOUT",
    "retries": "HALOTRACK_RETRIES",
    "max_body": "HALOTRACK_MAX_BODY",
    "deadline": "HALOTRACK_DEADLINE",
}


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def resolve(**flags: Any) -> Settings:
    """Merge flags (non-None wins), environment and the config file into Settings."""
    file_values = load_file()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, env in _ENV.items():
        if flags.get(name) is not None:
            values[name], sources[name] = flags[name], _flag(name)
        elif os.environ.get(env):
            values[name], sources[name] = os.environ[env], env
        elif name in file_values:
            values[name], sources[name] = file_values[name], str(config_file())
    try:
        numbers = (
            ("rate", float),
            ("concurrency", int),
            ("retries", int),
            ("timeout", float),
            ("max_body", int),
            ("deadline", float),
        )
        for name, kind in numbers:
            if name in values:
                values[name] = kind(values[name])
    except ValueError as exc:
        raise ConfigError(
            f"bad number in settings: {exc}",
            hint="check the HALOTRACK_* variables and config.toml (rate, concurrency, ...)",
        ) from exc
    extra = {k: v for k, v in file_values.items() if k not in _ENV}
    return Settings(**values, extra=extra, sources=sources)
