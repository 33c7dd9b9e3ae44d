"""The machine's timezone does not move any date: the same commands in subprocesses under
TZ=UTC, TZ=Pacific/Kiritimati (UTC+14) and TZ=America/St_Johns (UTC-3:30/-2:30) print the
same thing, and "today" is Vietnam's day even when the machine's own date differs.

The wall clock is moved with time-machine inside the subprocess to 20:00 UTC on Sunday
16/06/2024: 03:00 on Monday 17/06 in Hà Nội, 10:00 on the 17th in Kiritimati, 17:30 on the
16th in St John's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fault_support import PLAN, ROOT

pytestmark = pytest.mark.slow

ZONES = ("UTC", "Pacific/Kiritimati", "America/St_Johns")
SCRIPT = r"""
import io, json, sys, contextlib
import time_machine
from pcmd_workflow.cli import main

def run(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, (args, code)
    return out.getvalue()

with time_machine.travel("2024-06-16T20:00:00Z", tick=False):
    import datetime
    results = {
        "machine_date": datetime.date.today().isoformat(),
        "load": json.loads(run("plan", "load", sys.argv[1], "--format", "json"))[0]["created"],
        "today": json.loads(run("tasks", "list", "--format", "json", "--status", "due_today")),
        "as_of": json.loads(run("tasks", "list", "--as-of", "2024-06-18", "--format", "json")),
        "sweep": json.loads(run("sweep", "--as-of", "2024-06-17", "--dry-run", "--format", "json")),
        "due": json.loads(
            run("due", "--rule", "before 17/6", "--year", "2024", "--format", "json")
        ),
    }
print(json.dumps(results, ensure_ascii=False, sort_keys=True))
"""


def _start(zone: str, tmp_path: Path) -> subprocess.Popen[str]:
    data = tmp_path / zone.replace("/", "-")
    env = {
        **os.environ,
        "TZ": zone,
        "PCMD_DATA_DIR": str(data),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PCMD_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(PLAN)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-2000:]
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_same_dates_under_any_machine_timezone(tmp_path: Path) -> None:
    processes = {zone: _start(zone, tmp_path) for zone in ZONES}  # side by side
    results = {zone: _result(p) for zone, p in processes.items()}
    machine_dates = {zone: r.pop("machine_date") for zone, r in results.items()}
    assert machine_dates == {
        "UTC": "2024-06-16",
        "Pacific/Kiritimati": "2024-06-17",
        "America/St_Johns": "2024-06-16",
    }
    reference = results["UTC"]
    for zone in ZONES[1:]:
        assert results[zone] == reference, zone

    # literal answers, worked out by hand: before 17/6/2024 → last on-time day Sunday 16/06,
    # moved to Monday 17/06 (Civil Code Art. 148); the half-year reports of the two districts
    # are due that Monday, which is Vietnam's "today" at 03:00 local
    due = reference["due"]
    assert (due["nominal_due"], due["due_date"], due["moved_because"]) == (
        "2024-06-16",
        "2024-06-17",
        "16/06/2024 là Chủ nhật",
    )
    today = reference["today"]
    assert sorted((t["obligation"], t["reporter"], t["due_date"]) for t in today) == [
        ("semiannual", "ubnd-huyen-a", "2024-06-17"),
        ("semiannual", "ubnd-huyen-b", "2024-06-17"),
    ]
    as_of = {(t["obligation"], t["reporter"], t["period"]): t for t in reference["as_of"]}
    assert as_of[("semiannual", "ubnd-huyen-a", "2024-H1")]["status"] == "overdue"
    sweep_rungs = {(n["reporter"], n["rung"]) for n in reference["sweep"] if n.get("reporter")}
    assert ("ubnd-huyen-a", "T0") in sweep_rungs
