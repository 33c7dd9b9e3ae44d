"""Shared test fixtures.

Tests that need PostgreSQL or Chromium skip with a visible reason on a machine without
them; with ``PCMD_REQUIRE_ALL=1`` (set by ``.ci/run``) such a skip is a failure instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Prefect must never reach the network, even in tests.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CALENDARS = ROOT / "calendars"
ARTIFACTS = ROOT / "test-artifacts"


def require(condition: bool, reason: str) -> None:
    """Skip (developer machine) or fail (CI with PCMD_REQUIRE_ALL=1) when a real part is missing."""
    if condition:
        return
    if os.environ.get("PCMD_REQUIRE_ALL") == "1":
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


def postgres_url() -> str:
    url = os.environ.get("PCMD_TEST_POSTGRES_URL", "")
    require(bool(url), "PostgreSQL not available (set PCMD_TEST_POSTGRES_URL)")
    return url


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "Debian's chromium is not installed")
    assert path is not None
    return path


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own data directory and fresh settings."""
    from pcmd_workflow.settings import reset_settings

    monkeypatch.setenv("PCMD_DATA_DIR", str(tmp_path / "pcmd-data"))
    monkeypatch.delenv("PCMD_DATABASE_URL", raising=False)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
