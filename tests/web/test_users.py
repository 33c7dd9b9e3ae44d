"""``pcmd user add|list``: coordinator accounts created from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcmd_workflow.cli import main
from pcmd_workflow.cli.app import app as cli_app
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.store.users import check_password, find_user


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    reset_settings()
    return url


def _user(url: str, name: str) -> tuple[str | None, bool, str] | None:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            user = find_user(session, name)
            if user is None:
                return None
            return user.province, user.is_admin, user.password_hash
    finally:
        engine.dispose()


def test_add_province_coordinator_from_the_environment(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PCMD_NEW_PASSWORD", "mat-khau-ha-noi-2024")
    assert main(["user", "add", "CanBo.HaNoi", "--province", "ha-noi"]) == 0
    out, err = capsys.readouterr()
    assert out == "pcmd: đã tạo tài khoản «canbo.hanoi», địa bàn ha-noi\n"
    assert "chưa có kế hoạch nào của địa bàn «ha-noi»" in err
    found = _user(database, "canbo.hanoi")
    assert found is not None
    province, admin, hashed = found
    assert (province, admin) == ("ha-noi", False)
    assert hashed.startswith("$argon2id$")
    engine = db.make_engine(database)
    with db.session_scope(engine) as session:
        user = find_user(session, "CANBO.HANOI")
        assert check_password(user, "mat-khau-ha-noi-2024")
        assert not check_password(user, "mat-khau-ha-noi-2025")
    engine.dispose()


def test_add_admin_with_a_prompt(database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli_app,
        ["user", "add", "quantri", "--admin"],
        input="mat-khau-quan-tri\nmat-khau-quan-tri\n",
    )
    assert result.exit_code == 0, result.output
    assert "đã tạo tài khoản «quantri», quản trị (mọi kế hoạch)" in result.output
    found = _user(database, "quantri")
    assert found is not None and found[:2] == (None, True)


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["x1"], "mat-khau-du-dai", "cần đúng một trong hai: --province ID hoặc --admin"),
        (
            ["x2", "--province", "ha-noi", "--admin"],
            "mat-khau-du-dai",
            "cần đúng một trong hai: --province ID hoặc --admin",
        ),
        (["x3", "--admin"], "ngan", "mật khẩu quá ngắn: cần ít nhất 10 ký tự"),
        (["x y", "--admin"], "mat-khau-du-dai", "tên đăng nhập «x y» không hợp lệ"),
        (["x4", "--province", "Hà Nội"], "mat-khau-du-dai", "mã tỉnh «Hà Nội» không hợp lệ"),
    ],
)
def test_bad_input_is_one_clear_line(
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    password: str,
    message: str,
) -> None:
    monkeypatch.setenv("PCMD_NEW_PASSWORD", password)
    assert main(["user", "add", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pcmd: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_duplicate_is_refused_and_list_shows_no_secret(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PCMD_NEW_PASSWORD", "mat-khau-lao-cai-1")
    assert main(["user", "add", "laocai", "--province", "lao-cai"]) == 0
    assert main(["user", "add", "LaoCai", "--province", "lao-cai"]) == 2
    assert "tài khoản «laocai» đã có" in capsys.readouterr().err
    assert main(["user", "list", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out == "username,province,admin,disabled,last_login_at\nlaocai,lao-cai,False,False,\n"
