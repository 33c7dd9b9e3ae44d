"""How the sweep's cost grows with the number of tasks: 1x, 2x, 4x and 8x the national count.

The synthetic national dataset (benchmarks/synthetic.py: 34 provinces x 115 units x 19
periods = 74,290 tasks in 2024) is materialised through the product's own loader, then grown
to 68, 136 and 272 provinces. At each size the morning sweep of Thursday 13/06/2024 (the
week before the half-year deadline: T-7 and T-2 reminders for a good share of the tasks) runs
in a fresh child process on a clean outbox, which reports its wall time and its memory: the
resident set before the sweep and the peak during it (sampled every 5 ms); the faster of two
such runs is kept, so that a passing load on the machine does not pass for a trend.

The baseline of each size is the 1x run of the same invocation: a linear cost keeps the time
per task (and the memory per task over the process's base) flat, i.e. a ratio to 1x close to
the scale factor.

Run: ``.venv/bin/python benchmarks/scaling.py [--scales 1,2,4,8] [--provinces 34]``
(prints figures; never collected as a test). ``main()`` returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.synthetic import default_clock, materialise, province_plan  # noqa: E402
from pcmd_workflow.clock import FixedClock, as_of_instant  # noqa: E402
from pcmd_workflow.store import db  # noqa: E402

AS_OF = date(2024, 6, 13)
PROVINCES = 34
SCALES = (1, 2, 4, 8)
MB = 1024 * 1024


def sweep_once(url: str, day: date) -> dict[str, Any]:
    """One sweep in this process: seconds, tasks, notices, RSS before and peak (MB)."""
    from pcmd_workflow.domain.calendar import default_calendar
    from pcmd_workflow.services.sweep import run_sweep

    default_calendar().is_working_day(day)  # the calendar is built once per process anyway
    engine = db.make_engine(url)
    process = psutil.Process()
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with db.session_scope(engine) as session:
        report = run_sweep(session, as_of=day, clock=FixedClock(as_of_instant(day)))
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    engine.dispose()
    return {
        "seconds": seconds,
        "tasks": report.tasks,
        "notices": report.inserted,
        "rss_before_mb": before / MB,
        "rss_peak_mb": peak / MB,
    }


def _child(url: str, day: date) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", url, "--as-of", day.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"},
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _clear_outbox(url: str) -> None:
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM delivery_attempts"))
        conn.execute(text("DELETE FROM notices"))
    engine.dispose()


def _grow(url: str, *, first: int, last: int) -> float:
    """Materialise provinces ``first``..``last`` (1-based) through the product's loader."""
    engine = db.make_engine(url)
    started = time.perf_counter()
    plans = [province_plan(i) for i in range(first, last + 1)]
    materialise(engine, plans, clock=default_clock())
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def _best_sweep(url: str, day: date, *, repeat: int) -> dict[str, Any]:
    """The fastest of ``repeat`` sweeps, each in a fresh process on a clean outbox."""
    runs = []
    for _ in range(repeat):
        _clear_outbox(url)
        runs.append(_child(url, day))
    return min(runs, key=lambda r: float(r["seconds"]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(str(s) for s in SCALES))
    parser.add_argument("--provinces", type=int, default=PROVINCES, help="provinces at 1x")
    parser.add_argument("--as-of", default=AS_OF.isoformat())
    parser.add_argument("--repeat", type=int, default=2, help="sweeps per size (best kept)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    day = date.fromisoformat(args.as_of)
    if args.child:
        figures = sweep_once(args.child, day)
        print(json.dumps(figures))
        return figures

    scales = sorted(int(s) for s in args.scales.split(","))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pcmd-scaling-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'scaling.sqlite3'}"
        db.upgrade(url).dispose()
        loaded = 0
        for scale in scales:
            target = scale * args.provinces
            load_s = _grow(url, first=loaded + 1, last=target)
            loaded = target
            figures = _best_sweep(url, day, repeat=args.repeat)
            rows.append({"scale": scale, "provinces": target, "load_seconds": load_s, **figures})
            print(
                f"  {scale}x ({target} provinces): {figures['tasks']:,} tasks, "
                f"{figures['notices']:,} notices, sweep {figures['seconds']:.2f} s, "
                f"peak {figures['rss_peak_mb']:.0f} MB",
                flush=True,
            )
    base = rows[0]
    base_extra = base["rss_peak_mb"] - base["rss_before_mb"]
    print(f"sweep of {day.isoformat()} at each size (baseline: the {base['scale']}x run)")
    print(
        f"  {'scale':>5} {'tasks':>9} {'notices':>9} {'sweep s':>8} {'µs/task':>8} "
        f"{'time/1x':>8} {'peak MB':>8} {'+MB':>7} {'+MB/1x':>7}"
    )
    for row in rows:
        extra = row["rss_peak_mb"] - row["rss_before_mb"]
        row["us_per_task"] = 1e6 * row["seconds"] / row["tasks"]
        row["time_ratio"] = row["seconds"] / base["seconds"]
        row["memory_extra_mb"] = extra
        row["memory_ratio"] = extra / base_extra if base_extra > 0 else float("nan")
        print(
            f"  {row['scale']:>4}x {row['tasks']:>9,} {row['notices']:>9,} "
            f"{row['seconds']:>8.2f} {row['us_per_task']:>8.1f} {row['time_ratio']:>8.2f} "
            f"{row['rss_peak_mb']:>8.0f} {extra:>7.0f} {row['memory_ratio']:>7.2f}"
        )
    last = rows[-1]
    growth = last["time_ratio"] / (last["tasks"] / base["tasks"])
    print(
        f"time per task at {last['scale']}x / at {base['scale']}x: {growth:.2f} "
        "(1.00 = exactly linear)"
    )
    return {"as_of": day.isoformat(), "rows": rows, "linearity": growth}


if __name__ == "__main__":
    main()
