"""Web latency on the national synthetic dataset: dashboard pages under 20 concurrent clients.

The dataset is benchmarks/synthetic.py's (34 provinces x 115 units x 19 periods = 74,290
tasks in 2024, with the history of the first half-year up to 15/07/2024). The application
runs under uvicorn in a *separate process* on loopback (so the load generator does not share
its interpreter), with the clock fixed at Monday 15/07/2024 09:00. Twenty clients, each with
its own cookies, request a page back to back (a closed loop) with ``httpx.AsyncClient``:

- the province overview and matrix pages as a province coordinator (``tinh-01``),
- the national overview page as an administrator (every plan);

it prints p50/p95/p99/max and the throughput of each, after one warm-up request (whose time,
the first build of the scope's snapshot, is printed too). Targets: province overview and
matrix p95 < 100 ms, national overview p95 < 300 ms.

Run: ``.venv/bin/python benchmarks/web_latency.py [--provinces 34] [--requests 400]
[--db PATH]`` (an existing ``--db`` file is reused as is). Prints figures; not a test.
``main()`` returns them as a dict.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = date(2024, 7, 15)
CLIENTS = 20
PROVINCE = "tinh-01"
PASSWORD = "mat-khau-do-hieu-nang"
SECRET = "benchmark-secret-key-not-for-production-0123456789"


def _build(db_path: Path, *, provinces: int) -> dict[str, float]:
    from benchmarks.synthetic import add_history, default_clock, materialise, national_plans
    from pcmd_workflow.clock import FixedClock
    from pcmd_workflow.store import db
    from pcmd_workflow.store.users import add_user

    engine = db.upgrade(f"sqlite:///{db_path}")
    started = time.perf_counter()
    materialise(engine, national_plans(provinces=provinces), clock=default_clock())
    loaded = time.perf_counter() - started
    add_history(engine, as_of=AS_OF)
    clock = FixedClock(datetime(2024, 7, 1, tzinfo=UTC))
    with db.session_scope(engine) as session:
        add_user(session, username="coordinator", password=PASSWORD, province=PROVINCE, clock=clock)
        add_user(session, username="admin", password=PASSWORD, admin=True, clock=clock)
    engine.dispose()
    return {"materialise_s": round(loaded, 1)}


def serve(db_path: Path, port: int) -> None:
    """The server process: the application on a fixed clock (15/07/2024 09:00)."""
    import uvicorn

    from pcmd_workflow.clock import LOCAL_TZ, FixedClock
    from pcmd_workflow.store import db
    from pcmd_workflow.web import create_app

    clock = FixedClock(datetime.combine(AS_OF, dtime(9, 0), tzinfo=LOCAL_TZ))
    app = create_app(engine=db.make_engine(f"sqlite:///{db_path}"), clock=clock, migrate=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _logged_in(base: str, username: str) -> Any:
    import httpx

    client = httpx.AsyncClient(base_url=base, timeout=60)
    token = (await client.get("/api/csrf")).json()["csrf_token"]
    answer = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    if answer.status_code not in (200, 303):
        raise SystemExit(f"login of {username} failed: {answer.status_code}")
    return client


async def _measure(
    base: str, *, username: str, path: str, requests: int, server_pid: int
) -> dict[str, float]:
    # the first request builds the scope's snapshot (seconds for the whole country): made
    # before the clients connect, so that no idle keep-alive connection times out meanwhile
    warm = await _logged_in(base, username)
    started = time.perf_counter()
    first = await warm.get(path)
    cold_ms = (time.perf_counter() - started) * 1000
    await warm.aclose()
    if first.status_code != 200:
        raise SystemExit(f"{path}: {first.status_code} {first.text[:200]}")
    size = len(first.content)
    clients = [await _logged_in(base, username) for _ in range(CLIENTS)]
    latencies: list[float] = []
    per_client = max(1, requests // CLIENTS)

    async def run(client: Any) -> None:
        for _ in range(per_client):
            t0 = time.perf_counter()
            answer = await client.get(path)
            latencies.append((time.perf_counter() - t0) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code}")

    server, me = psutil.Process(server_pid), psutil.Process()
    cpu_before = sum(server.cpu_times()[:2])
    own_before = sum(me.cpu_times()[:2])
    began = time.perf_counter()
    await asyncio.gather(*(run(c) for c in clients))
    elapsed = time.perf_counter() - began
    cpu_ms = (sum(server.cpu_times()[:2]) - cpu_before) * 1000
    own_ms = (sum(me.cpu_times()[:2]) - own_before) * 1000
    for c in clients:
        await c.aclose()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, round(p / 100 * len(latencies)) - 1)]

    return {
        "requests": len(latencies),
        "cold_ms": round(cold_ms, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(latencies[-1], 1),
        "rps": round(len(latencies) / elapsed, 1),
        "server_cpu_ms": round(cpu_ms / len(latencies), 2),
        "client_cpu_ms": round(own_ms / len(latencies), 2),
        "bytes": size,
    }


def _wait(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server process exited")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer within 60 s")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--requests", type=int, default=400, help="timed requests per page")
    parser.add_argument("--db", type=Path, default=None, help="reuse or create this SQLite file")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="pcmd-web-bench-"))
    db_path = args.db or workdir / "national.sqlite3"
    figures: dict[str, Any] = {"provinces": args.provinces, "clients": CLIENTS}
    env = {
        **os.environ,
        "PCMD_DATA_DIR": str(workdir / "data"),
        "PCMD_SECRET_KEY": SECRET,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    os.environ.update({k: env[k] for k in ("PCMD_DATA_DIR", "PCMD_SECRET_KEY")})
    if not db_path.exists():
        print(f"building the national dataset in {db_path} …", flush=True)
        figures.update(_build(db_path, provinces=args.provinces))
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        figures["tasks"] = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", "--db", str(db_path), "--port", str(port)], env=env
    )
    try:
        _wait(base, server)
        pages = {
            "province_overview": ("coordinator", "/dashboard"),
            "province_matrix": ("coordinator", "/matrix"),
            "national_overview": ("admin", "/dashboard"),
            "national_overview_api": ("admin", "/api/overview"),
        }
        for name, (user, path) in pages.items():
            figures[name] = asyncio.run(
                _measure(
                    base, username=user, path=path, requests=args.requests, server_pid=server.pid
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)  # a --db file outside it is kept
    targets = {"province_overview": 100, "province_matrix": 100, "national_overview": 300}
    print(f"web latency, {figures['tasks']} tasks, {CLIENTS} concurrent clients on loopback")
    for name, stats in figures.items():
        if not isinstance(stats, dict):
            continue
        target = targets.get(name)
        verdict = "" if target is None else (" ok" if stats["p95_ms"] < target else " OVER TARGET")
        print(
            f"  {name:24s} p50 {stats['p50_ms']:7.1f} ms  p95 {stats['p95_ms']:7.1f} ms  "
            f"p99 {stats['p99_ms']:7.1f} ms  max {stats['max_ms']:7.1f} ms  "
            f"{stats['rps']:6.1f} req/s  CPU/req server {stats['server_cpu_ms']:5.2f} ms, "
            f"load generator {stats['client_cpu_ms']:5.2f} ms  "
            f"cold {stats['cold_ms']:7.1f} ms  "
            f"({stats['bytes']} bytes)" + (f"  target p95 < {target} ms{verdict}" if target else "")
        )
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve_args = argparse.ArgumentParser()
        serve_args.add_argument("serve")
        serve_args.add_argument("--db", type=Path, required=True)
        serve_args.add_argument("--port", type=int, required=True)
        ns = serve_args.parse_args()
        serve(ns.db, ns.port)
    else:
        main()
