"""The sending window and the signed portal tokens."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.sending_window import SendingWindow
from pcmd_workflow.errors import AuthError, ConfigError
from pcmd_workflow.services.tokens import (
    SECRET_FILE,
    make_unit_token,
    portal_link,
    read_unit_token,
)
from pcmd_workflow.settings import reset_settings


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("instant", "is_open", "opening"),
    [
        ("2024-06-17 07:29", False, "2024-06-17 07:30"),  # Monday, before the window
        ("2024-06-17 07:30", True, "2024-06-17 07:30"),
        ("2024-06-17 20:59", True, "2024-06-17 20:59"),
        ("2024-06-17 21:00", False, "2024-06-18 07:30"),  # closed at 21:00 sharp
        ("2024-06-14 22:15", False, "2024-06-17 07:30"),  # Friday night → Monday
        ("2024-06-15 10:00", False, "2024-06-17 07:30"),  # Saturday
        ("2024-08-30 21:30", False, "2024-09-04 07:30"),  # before National Day 2/9 and 3/9
        ("2024-04-30 09:00", False, "2024-05-02 07:30"),  # 30/4 and 1/5 are holidays
    ],
)
def test_window_is_working_days_0730_to_2100(instant: str, is_open: bool, opening: str) -> None:
    window = SendingWindow.parse(start="07:30", end="21:00")
    cal = default_calendar()
    assert window.is_open(_local(instant), calendar=cal) is is_open
    assert window.next_opening(_local(instant), calendar=cal) == _local(opening)


def test_window_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="send_window_start: '7h30' is not a time of day"):
        SendingWindow.parse(start="7h30", end="21:00")
    with pytest.raises(ConfigError, match="end 07:00 is not after start 07:30"):
        SendingWindow.parse(start="07:30", end="07:00")


NOW = _local("2024-06-13 07:30")


def test_token_round_trip_and_expiry() -> None:
    token = make_unit_token(plan_id="p-1", unit="so-y-te", expires_at=NOW + timedelta(days=30))
    assert read_unit_token(token, now=NOW + timedelta(days=29)) == ("p-1", "so-y-te")
    with pytest.raises(AuthError, match="hết hạn"):
        read_unit_token(token, now=NOW + timedelta(days=30))


def test_tampered_or_foreign_tokens_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_unit_token(plan_id="p-1", unit="so-y-te", expires_at=NOW + timedelta(days=1))
    _body, _, signature = token.rpartition(".")
    forged = make_unit_token(plan_id="p-1", unit="cong-an", expires_at=NOW + timedelta(days=1))
    with pytest.raises(AuthError, match="không hợp lệ"):
        read_unit_token(forged.rpartition(".")[0] + "." + signature, now=NOW)
    with pytest.raises(AuthError, match="không hợp lệ"):
        read_unit_token("garbage", now=NOW)
    monkeypatch.setenv("PCMD_SECRET_KEY", "another-installation-key-0123456789abcdef")
    reset_settings()
    with pytest.raises(AuthError, match="không hợp lệ"):
        read_unit_token(token, now=NOW)


def test_generated_key_file_is_private_and_stable(tmp_path: Path) -> None:
    first = make_unit_token(plan_id="p", unit="u", expires_at=NOW + timedelta(days=1))
    key_file = tmp_path / "pcmd-data" / SECRET_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) >= 32
    assert make_unit_token(plan_id="p", unit="u", expires_at=NOW + timedelta(days=1)) == first


def test_a_readable_key_file_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "pcmd-data"
    data.mkdir()
    key = data / SECRET_FILE
    key.write_text("x" * 40)
    os.chmod(key, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        make_unit_token(plan_id="p", unit="u", expires_at=NOW)


def test_portal_link_points_at_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMD_PORTAL_URL", "https://baocao.mau.gov.vn/")
    monkeypatch.setenv("PCMD_TOKEN_DAYS", "10")
    reset_settings()
    link = portal_link(plan_id="p-1", unit="so-y-te", task_id=42, now=NOW)
    assert link.startswith("https://baocao.mau.gov.vn/portal/")
    assert link.endswith("/tasks/42")
    token = link.split("/portal/")[1].split("/tasks/")[0]
    assert read_unit_token(token, now=NOW + timedelta(days=9)) == ("p-1", "so-y-te")
    with pytest.raises(AuthError):
        read_unit_token(token, now=NOW + timedelta(days=10))
