"""``pcmd sweep``, ``pcmd dispatch`` and ``pcmd notices list`` (CONTRACTS "Notices")."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from notify_support import COORDINATOR, SO_Y_TE, Store, local

from pcmd_workflow.cli import main

MAILTO = "mailto://127.0.0.1:9?from=pcmd@mau.gov.vn&mode=insecure"


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_sweep_prints_the_contract_rows_and_is_idempotent(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(capsys, ["sweep", "--as-of", "2024-06-13", "--format", "json"])
    assert isinstance(rows, list) and len(rows) == 7
    assert all(
        list(r) == ["task_id", "reporter", "rung", "channel", "recipient", "reason", "send_after"]
        for r in rows
    )
    so_y_te = [r for r in rows if r["reporter"] == "so-y-te"]
    assert sorted((r["rung"], r["channel"], r["recipient"]) for r in so_y_te) == [
        ("T-2", "sink", "sink:so-y-te"),
        ("T-7", "sink", "sink:so-y-te"),
    ]
    assert {r["send_after"] for r in rows} == {"2024-06-13T07:30:00+07:00"}
    again = _json(capsys, ["sweep", "--as-of", "2024-06-13", "--format", "json"])
    assert again == rows
    assert len(store.notices()) == 7


def test_dry_run_prints_but_writes_nothing(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _json(capsys, ["sweep", "--as-of", "2024-06-20", "--dry-run", "--format", "json"])
    assert {r["rung"] for r in rows if r["rung"]} == {"T+3", "T+1"}
    assert store.notices() == []


def test_dispatch_prints_one_count_per_status_and_notices_list_shows_them(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    store.configure(email_url=MAILTO)  # nothing listens on port 9: every e-mail fails
    assert main(["sweep", "--as-of", "2024-06-13"]) == 0
    capsys.readouterr()
    counts = _json(capsys, ["dispatch", "--as-of", "2024-06-13", "--format", "json"])
    assert counts == {
        "sent": 2,  # the two units reachable by no channel: kept in the sink
        "failed": 5,
        "dead": 0,
        "replaced": 0,
        "cancelled": 0,
        "pending": 5,
        "rescheduled": 0,
        "messages": 6,
    }
    failed = _json(capsys, ["notices", "list", "--status", "failed", "--format", "json"])
    assert isinstance(failed, list)
    assert sorted(r["recipient"] for r in failed if r["reporter"] == "so-y-te") == [
        SO_Y_TE,
        SO_Y_TE,
    ]
    first = failed[0]
    assert first["send_after"] == "2024-06-13T07:32:00+07:00"
    assert first["attempts"] == 1 and first["last_error"]
    assert main(["notices", "list", "--status", "sent", "--format", "table"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["id", "status", "kind", "task_id"]
    assert len(table) == 3 and all(" sink:" in line for line in table[1:])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["notices", "list", "--status", "lost"], "--status: 'lost' is not a status"),
        (["dispatch", "--as-of", "2024-06-13", "--now", "2024-06-13T08:00"], "give one of them"),
        (["dispatch", "--backoff", "2x"], "--backoff: '2x' is not a delay"),
        (["dispatch", "--now", "tomorrow"], "--now: 'tomorrow' is not an instant"),
        (["sweep", "--as-of", "13/06/2024"], "--as-of: '13/06/2024' is not a date"),
    ],
)
def test_bad_options_give_one_clear_line(
    store: Store, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_logs_mask_recipients(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    store.configure(email_url=MAILTO)
    store.sweep(date(2024, 6, 13))
    with caplog.at_level(logging.INFO):
        store.dispatch(local("2024-06-13 08:00"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "va***@soyte.mau.gov.vn" in text
    assert SO_Y_TE not in text and COORDINATOR not in text
