"""Schedules defined once (flows/schedules.py), shown by ``pcmd schedule``, served as is."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flows_support import FlowStore

from flows.schedules import DAILY_SWEEP, DISPATCH_OUTBOX, SCHEDULES, TIMEZONE, by_flow
from pcmd_workflow.cli import main

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_next_runs_are_computed_in_vietnam_time() -> None:
    # Friday 26/04/2024 12:00 local. The cron fires on Saturdays (for make-up working
    # Saturdays such as 04/05/2024) and on 29/04 and 30/04; the flow skips those days off.
    after = datetime(2024, 4, 26, 5, 0, tzinfo=ZoneInfo("UTC"))
    assert [d.isoformat() for d in DAILY_SWEEP.next_runs(after=after)] == [
        "2024-04-27T07:00:00+07:00",
        "2024-04-29T07:00:00+07:00",
        "2024-04-30T07:00:00+07:00",
    ]
    evening = datetime(2024, 4, 26, 20, 45, tzinfo=HCM)
    assert [d.isoformat() for d in DISPATCH_OUTBOX.next_runs(after=evening, count=2)] == [
        "2024-04-26T20:50:00+07:00",
        "2024-04-27T07:00:00+07:00",
    ]
    assert by_flow("compile-after-deadline").next_runs(after=evening) == []
    with pytest.raises(KeyError):
        by_flow("weekly")


def test_deployments_carry_the_schedules_in_code() -> None:
    from flows.deployments import build_deployments

    deployments = build_deployments()
    assert [(d.flow_name, d.name, d.entrypoint) for d in deployments] == [
        ("daily-sweep", "pcmd", "flows.daily_sweep.daily_sweep"),
        ("dispatch-outbox", "pcmd", "flows.dispatch_outbox.dispatch_outbox"),
        ("compile-after-deadline", "pcmd", "flows.compile_after_deadline.compile_after_deadline"),
    ]
    crons = [[(s.schedule.cron, s.schedule.timezone) for s in d.schedules] for d in deployments]
    assert crons == [
        [("0 7 * * 1-6", TIMEZONE)],
        [("*/10 7-20 * * 1-6", TIMEZONE)],
        [],
    ]
    assert [s.flow for s in SCHEDULES] == [d.flow_name for d in deployments]


def test_pcmd_schedule_json(loaded_store: FlowStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--now", "2024-06-01T09:05:00+07:00", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["deployment"], r["cron"], r["timezone"], r["next_runs"]) for r in rows] == [
        ("daily-sweep/pcmd", "0 7 * * 1-6", TIMEZONE,
         ["2024-06-03T07:00:00+07:00", "2024-06-04T07:00:00+07:00", "2024-06-05T07:00:00+07:00"]),
        ("dispatch-outbox/pcmd", "*/10 7-20 * * 1-6", TIMEZONE,
         ["2024-06-01T09:10:00+07:00", "2024-06-01T09:20:00+07:00", "2024-06-01T09:30:00+07:00"]),
        # from the loaded plans: 18/06 00:30 (6-month report) and 17/12 00:30 (annual)
        ("compile-after-deadline/pcmd", None, TIMEZONE,
         ["2024-06-18T00:30:00+07:00", "2024-12-17T00:30:00+07:00"]),
    ]  # fmt: skip


def test_pcmd_schedule_table_without_a_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--now", "2024-06-01T09:05", "--count", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["deployment", "cron", "timezone", "next_runs", "description"]
    assert lines[1].startswith("daily-sweep/pcmd")
    assert "2024-06-03 07:00" in lines[1]
    assert "(theo hạn nộp / from due dates)" in lines[3]
    assert f"{TIMEZONE}  -  " in lines[3]  # no database: no computed run to show
    assert main(["schedule", "--now", "yesterday"]) == 2
    assert "--now: 'yesterday' is not an instant" in capsys.readouterr().err
