"""The Zalo token file: 0600, atomic replacement, values never shown."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pcmd_workflow.channels import TokenStore, ZaloTokens
from pcmd_workflow.errors import ConfigError

NOW = datetime(2024, 6, 17, 2, 0, tzinfo=UTC)


def seeded(tmp_path: Path) -> TokenStore:
    store = TokenStore(tmp_path / "data" / "zalo-tokens.json")
    store.seed(
        access_token="AT-one-secret", refresh_token="RT-one-secret", expires_in=90000, now=NOW
    )
    return store


def test_seed_writes_a_0600_file_with_the_expiry(tmp_path: Path) -> None:
    store = seeded(tmp_path)

    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert json.loads(store.path.read_text()) == {
        "access_token": "AT-one-secret",
        "refresh_token": "RT-one-secret",
        "obtained_at": "2024-06-17T02:00:00+00:00",
        "expires_at": "2024-06-18T03:00:00+00:00",
        "disabled_reason": None,
    }


def test_save_replaces_the_file_atomically(tmp_path: Path) -> None:
    store = seeded(tmp_path)
    before = store.path.stat().st_ino
    old = store.load()
    assert old is not None

    store.save(
        ZaloTokens(access_token="AT-2", refresh_token="RT-2", obtained_at=NOW, expires_at=NOW)
    )

    assert store.path.stat().st_ino != before
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "zalo-tokens.json",
        "zalo-tokens.json.lock",
    ]


def test_failed_write_leaves_the_old_pair_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = seeded(tmp_path)

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        store.save(
            ZaloTokens(access_token="AT-2", refresh_token="RT-2", obtained_at=NOW, expires_at=NOW)
        )
    monkeypatch.undo()

    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == "RT-one-secret"
    assert not [p for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_world_readable_file_is_tightened(tmp_path: Path) -> None:
    store = seeded(tmp_path)
    os.chmod(store.path, 0o644)

    assert store.load() is not None
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_repr_never_shows_token_values(tmp_path: Path) -> None:
    tokens = seeded(tmp_path).load()

    assert "secret" not in repr(tokens)


def test_broken_file_names_itself_not_its_content(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "zalo-tokens.json")
    store.path.write_text('{"access_token": "AT-leak-me", "refresh_token": 1}')
    os.chmod(store.path, 0o600)

    with pytest.raises(ConfigError, match=r"zalo-tokens\.json: not a valid Zalo token file") as err:
        store.load()
    assert "AT-leak-me" not in str(err.value)


def test_missing_file_is_none(tmp_path: Path) -> None:
    assert TokenStore(tmp_path / "absent.json").load() is None


def test_lock_is_exclusive_between_threads(tmp_path: Path) -> None:
    store = seeded(tmp_path)
    order: list[str] = []
    inside = threading.Event()

    def other() -> None:
        with TokenStore(store.path).locked():
            order.append("other")

    with store.locked():
        thread = threading.Thread(target=other)
        thread.start()
        inside.wait(0.2)
        order.append("first")
    thread.join(5)

    assert order == ["first", "other"]
