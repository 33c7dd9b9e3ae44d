"""Memory of ``pcmd serve``: idle, and while it runs the national morning sweep.

The national synthetic dataset (benchmarks/synthetic.py: 34 provinces, 74,290 tasks in 2024)
is written as 34 plan files; ``pcmd serve`` is started on them (SQLite store, its own local
Prefect server, the web application on a free port); the first half-year's history is added
to its store (most reports in, some late, returned, extended, excused: ``add_history``), then
a ``daily-sweep`` run is triggered for Monday 15/07/2024 — materialise, sweep, dispatch,
sync. ``--worst`` skips the history: every task of the half-year is then overdue and each
coordinator's digest lists thousands of reports (the dispatcher renders them in one
message). The resident memory (RSS, psutil) of the ``pcmd serve`` process and all its
children — the web application's thread is inside it, flow runs are subprocesses — is summed
every quarter of a second; the Prefect server process (and anything it starts) is left out,
as it would run on its own host in production.

Target: under 500 MB, idle and during the sweep.

Run: ``.venv/bin/python benchmarks/serve_memory.py [--provinces 34]`` (prints figures; never
collected as a test).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
import yaml  # noqa: E402

from benchmarks.synthetic import add_history, national_plans  # noqa: E402
from flows.local_server import free_port, telemetry_off  # noqa: E402
from pcmd_workflow.services.plans import plan_body  # noqa: E402
from pcmd_workflow.store import db  # noqa: E402

TARGET_MB = 500.0
READY = "đang chạy các luồng"
AS_OF = "2024-07-15"


def _is_prefect_server(proc: psutil.Process) -> bool:
    try:
        cmd = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return "prefect" in cmd and " server start" in cmd


def rss_mb(root: psutil.Process) -> tuple[float, int]:
    """RSS of ``root`` and its descendants, without Prefect server subtrees; (MB, processes)."""
    total = 0
    count = 0
    stack = [root]
    while stack:
        proc = stack.pop()
        if _is_prefect_server(proc):
            continue
        try:
            total += proc.memory_info().rss
            count += 1
            stack.extend(proc.children())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total / 2**20, count


def _wait_ready(log: Path, proc: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if READY in text:
            return text
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise SystemExit(f"pcmd serve did not come up:\n{text[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--worst", action="store_true", help="No history: everything overdue.")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pcmd-serve-mem-") as tmp:
        work = Path(tmp)
        calendars = work / "calendars"
        calendars.mkdir()
        for plan in national_plans(provinces=args.provinces):
            (calendars / f"{plan.id}.yaml").write_text(
                yaml.safe_dump(plan_body(plan), allow_unicode=True, sort_keys=False),
                encoding="utf-8",
            )
        env = telemetry_off(dict(os.environ))
        env.pop("PREFECT_API_URL", None)
        env.pop("PCMD_DATABASE_URL", None)
        env.update(
            PCMD_DATA_DIR=str(work / "data"),
            PCMD_CALENDARS_DIR=str(calendars),
            PCMD_WEB_PORT=str(free_port()),
            PREFECT_HOME=str(work / "prefect"),
        )
        log = work / "serve.log"
        started = time.monotonic()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "pcmd"), "serve"],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=work,
            )  # fmt: skip
        try:
            text = _wait_ready(log, proc, timeout=600)
            print(f"pcmd serve up in {time.monotonic() - started:.0f} s ({args.provinces} plans)")
            url = next(
                line.split("tại ")[1].split()[0]
                for line in text.splitlines()
                if "giao diện Prefect tại" in line
            )
            root = psutil.Process(proc.pid)
            if not args.worst:
                store = db.make_engine(f"sqlite:///{work / 'data' / 'pcmd.sqlite3'}")
                history = add_history(store, as_of=date.fromisoformat(AS_OF))
                store.dispose()
                print(f"history added: {history.submissions:,} submissions")
            idle = []
            end = time.monotonic() + args.idle_seconds
            while time.monotonic() < end:
                idle.append(rss_mb(root)[0])
                time.sleep(0.25)
            api = f"{url}/api"
            deployment = httpx.get(f"{api}/deployments/name/daily-sweep/pcmd", timeout=30).json()
            run = httpx.post(
                f"{api}/deployments/{deployment['id']}/create_flow_run",
                json={"parameters": {"as_of": AS_OF}},
                timeout=30,
            ).json()
            peak = 0.0
            processes = 0
            state = "SCHEDULED"
            t0 = time.monotonic()
            while time.monotonic() - t0 < 900:
                mb, n = rss_mb(root)
                if mb > peak:
                    peak, processes = mb, n
                state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=30).json()["state_type"]
                if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                    break
                time.sleep(0.25)
            sweep_s = time.monotonic() - t0
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        idle_max = max(idle)
        print(f"idle: {sum(idle) / len(idle):.0f} MB on average, {idle_max:.0f} MB at most")
        print(
            f"national sweep of {AS_OF}{' without history' if args.worst else ''} "
            f"({state.lower()} in {sweep_s:.0f} s): peak {peak:.0f} MB "
            f"over {processes} processes (pcmd serve, web thread, flow-run subprocess)"
        )
        ok = state == "COMPLETED" and idle_max < TARGET_MB and peak < TARGET_MB
        print(f"target under {TARGET_MB:.0f} MB: {'met' if ok else 'MISSED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
