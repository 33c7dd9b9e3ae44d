"""Settings from ``PCMD_*`` environment variables and an optional ``pcmd.toml`` in the data dir.

Secrets (SMTP passwords inside channel URLs, the Zalo app secret, the signing key) come
only from the environment or from files in the data directory, never from the repository.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pcmd_workflow.errors import ConfigError

__all__ = ["Settings", "get_settings", "reset_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PCMD_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".pcmd"), description="working data: database, tokens, outputs"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in data_dir"
    )
    portal_url: str = "http://127.0.0.1:8000"
    calendars_dir: Path = PROJECT_ROOT / "calendars"
    #: plan ids (file stems) that `pcmd serve` loads; empty means every plan in calendars_dir
    enabled_plans: list[str] = Field(default_factory=list)
    #: open-ended plans are materialised up to this year
    materialise_until: int = 2026

    # notification channels, Apprise URLs (mailto://..., zalo://...); empty = local sink only
    email_url: str | None = None
    zalo_url: str | None = None
    sink_path: Path | None = None  # default data_dir/outbox-sink.log
    coordinator_email: str | None = None

    # one sending window for every channel, local time, working days only
    send_window_start: str = "07:30"
    send_window_end: str = "21:00"

    secret_key: str | None = Field(default=None, description="signs portal tokens and sessions")
    token_days: int = 30

    max_upload_bytes: int = 10 * 1024 * 1024
    web_host: str = "127.0.0.1"
    web_port: int = 8000

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pcmd.sqlite3').resolve()}"

    @property
    def effective_sink_path(self) -> Path:
        return self.sink_path or self.data_dir / "outbox-sink.log"

    def ensure_data_dir(self) -> Path:
        """Create the data directory, private to its owner (it holds the database and secrets)."""
        if not self.data_dir.exists():
            self.data_dir.mkdir(parents=True, mode=0o700)
            self.data_dir.chmod(0o700)  # mkdir's mode is filtered by the umask
        return self.data_dir


def _toml_overrides(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "pcmd.toml"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix or remove the file") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, overlaid on ``<data_dir>/pcmd.toml`` when present."""
    env_first = Settings()
    overrides = _toml_overrides(env_first.data_dir)
    if not overrides:
        return env_first
    merged = {**overrides, **env_first.model_dump(exclude_unset=True)}
    return Settings(**merged)


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
