"""What Prefect costs: the morning sweep as a flow against the service called directly.

On the synthetic national dataset (benchmarks/synthetic.py: 34 provinces x 115 units x 19
periods = 74,290 tasks in 2024, with the first half-year's history), on SQLite, as of
Monday 15/07/2024, the sweep of every province is run

- **direct**: what the flow's tasks call, without Prefect:
  :func:`pcmd_workflow.services.engine.sweep_province` for each province, then
  :func:`~pcmd_workflow.services.engine.complete_before_deadline` (periods to compile early);
- **flow**: ``daily_sweep(as_of=..., materialise=False, dispatch=False,
  sync_compile_runs=False)``, a flow run with one task run per province, against Prefect's
  local server (started once and warmed up before timing).

Each run starts from a fresh copy of the same database file, so that both write the same
notices; they alternate, best of ``--rounds``. On a busy machine the two best times still
wander by seconds, so the overhead is also measured inside each flow run: its wall-clock
time against the time its tasks spent in the same service calls (``sweep_seconds``), same
run, same load. Target: the flow within 20 % of the service calls (the paired figure, best
round).

Run: ``.venv/bin/python benchmarks/flow_overhead.py [--provinces 34] [--rounds 3]``
(prints figures; never collected as a test).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

from benchmarks.synthetic import add_history, default_clock, materialise, national_plans  # noqa: E402
from pcmd_workflow.clock import FixedClock, as_of_instant  # noqa: E402
from pcmd_workflow.services import engine  # noqa: E402
from pcmd_workflow.settings import reset_settings  # noqa: E402
from pcmd_workflow.store import db  # noqa: E402

TARGET = 0.20
AS_OF = date(2024, 7, 15)


def _fresh(template: Path, into: Path, n: int) -> str:
    target = into / f"run-{n}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _direct(url: str) -> tuple[float, int]:
    eng = db.make_engine(url)
    clock = FixedClock(as_of_instant(AS_OF))
    start = time.perf_counter()
    inserted = 0
    with db.session_scope(eng) as session:
        provinces = engine.provinces(session)
    for province in provinces:
        with db.session_scope(eng) as session:
            inserted += engine.sweep_province(
                session, as_of=AS_OF, clock=clock, province=province
            ).inserted
    with db.session_scope(eng) as session:
        for province in provinces:
            engine.complete_before_deadline(session, now=clock.now(), province=province)
    elapsed = time.perf_counter() - start
    eng.dispose()
    return elapsed, inserted


def _flow(url: str) -> tuple[float, int, float]:
    """Wall-clock seconds of the flow run, notices written, seconds inside the services."""
    from flows.daily_sweep import daily_sweep

    os.environ["PCMD_DATABASE_URL"] = url
    reset_settings()
    start = time.perf_counter()
    result = daily_sweep(as_of=AS_OF, materialise=False, dispatch=False, sync_compile_runs=False)
    return time.perf_counter() - start, int(result["notices"]), float(result["sweep_seconds"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pcmd-flow-bench-") as tmp:
        work = Path(tmp)
        os.environ["PREFECT_HOME"] = str(work / "prefect")
        os.environ["PCMD_DATA_DIR"] = str(work / "data")
        template = work / "template.sqlite3"
        url = f"sqlite:///{template}"
        eng = db.upgrade(url)
        t0 = time.perf_counter()
        reports = materialise(eng, national_plans(provinces=args.provinces), clock=default_clock())
        history = add_history(eng, as_of=AS_OF)
        eng.dispose()
        tasks = sum(r.created for r in reports)
        print(
            f"dataset: {args.provinces} provinces, {tasks:,} tasks, {history.submissions:,} "
            f"submissions ({time.perf_counter() - t0:.1f} s to build)"
        )

        t0 = time.perf_counter()
        _flow(_fresh(template, work, 0))  # starts Prefect's local server, warms up
        print(f"Prefect local server start and first flow run: {time.perf_counter() - t0:.1f} s")

        direct: list[float] = []
        flow: list[float] = []
        paired: list[float] = []
        notices = set()
        for n in range(args.rounds):
            d, d_notices = _direct(_fresh(template, work, 2 * n + 1))
            f, f_notices, inside = _flow(_fresh(template, work, 2 * n + 2))
            direct.append(d)
            flow.append(f)
            paired.append((f - inside) / inside)
            notices.update({d_notices, f_notices})
            print(
                f"round {n + 1}: direct {d:.2f} s; flow {f:.2f} s of which {inside:.2f} s in the "
                f"services ({paired[-1]:+.1%}); {d_notices:,} notices"
            )
        if len(notices) != 1:
            print(f"the two paths wrote different notices: {sorted(notices)}")
            return 1
        best_direct, best_flow = min(direct), min(flow)
        across = (best_flow - best_direct) / best_direct
        overhead = min(paired)
        verdict = "met" if overhead < TARGET else "MISSED"
        print(
            f"sweep of {args.provinces} provinces on {AS_OF.isoformat()}: best direct "
            f"{best_direct:.2f} s, best flow {best_flow:.2f} s ({across:+.1%} across runs)"
        )
        print(
            f"Prefect overhead within a flow run: {overhead:+.1%} best, "
            f"{statistics.median(paired):+.1%} median (target under {TARGET:.0%}: {verdict})"
        )
        return 0 if overhead < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
