"""The CLI's error contract: one line on stderr, exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pcmd_workflow.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["due", "--bogus"],
        ["calendar", "check"],
        ["calendar", "check", "2024-06-16", "extra"],
        ["calendar", "check", "2024-02-31"],
    ],
)
def test_usage_and_input_errors_exit_2_without_traceback(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip(), "an error must say what was wrong"


def test_console_script_exit_code_and_no_traceback() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pcmd_workflow.cli import main; sys.exit(main())",
            "due",
            "--rule",
            "before 31/2",
            "--year",
            "2024",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "31/2" in proc.stderr


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "calendar" in capsys.readouterr().out


def test_new_data_dir_is_private(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import stat

    from pcmd_workflow.settings import Settings

    data_dir = tmp_path / "fresh" / "pcmd"
    created = Settings(data_dir=data_dir).ensure_data_dir()
    assert created == data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
