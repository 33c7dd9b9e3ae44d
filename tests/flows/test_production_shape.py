"""The production shape on real processes: a Prefect server on loopback, a ``process`` work
pool, the daily sweep deployed from the source directory, a worker that runs it.

Marked ``prefect_server`` (``.ci/run`` runs it); every wait is bounded and the server and
worker are stopped at the end. The flow run writes to a SQLite store in a temporary
directory (``PCMD_DATABASE_URL`` through the deployment's job variables); expected counts
are those of test_flows.py (five notices per plan on 18/06/2024, all to the sink).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from flows_support import PLANS
from sqlalchemy import create_engine, text

from flows.local_server import LocalPrefectServer, prefect_env
from flows.schedules import SCHEDULES

ROOT = Path(__file__).resolve().parents[2]
POOL = "pcmd-test"


def test_prefect_yaml_matches_the_schedules_in_code() -> None:
    from flows.deployments import ENTRYPOINTS

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    found = {}
    for d in spec["deployments"]:
        flow = next(f for f, e in ENTRYPOINTS.items() if e == d["entrypoint"])
        found[flow] = (d["name"], [(s["cron"], s["timezone"]) for s in d["schedules"]])
    assert found == {s.flow: ("pcmd", [(s.cron, s.timezone)] if s.cron else []) for s in SCHEDULES}


def _wait_run(api: str, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
        if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} not finished after {timeout:.0f} s: {run}")


@pytest.mark.prefect_server
def test_a_worker_runs_the_deployed_daily_sweep(tmp_path: Path) -> None:
    server = LocalPrefectServer(home=tmp_path / "prefect", ui=False)
    worker: subprocess.Popen[bytes] | None = None
    worker_log = (tmp_path / "worker.log").open("wb")
    try:
        server.start()
        server.wait_ready(timeout=180)
        env = prefect_env(home=tmp_path / "prefect", api_url=server.api_url)
        prefect = [sys.executable, "-m", "prefect"]
        subprocess.run(
            [*prefect, "work-pool", "create", POOL, "--type", "process"],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        database = tmp_path / "pcmd.sqlite3"
        job_env = {
            "PCMD_DATABASE_URL": f"sqlite:///{database}",
            "PCMD_DATA_DIR": str(tmp_path / "pcmd-data"),
            "PCMD_CALENDARS_DIR": str(PLANS),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
        deploy = (
            "import json, sys; from pathlib import Path; "
            "from flows.deployments import deploy_to_pool; "
            f"ids = deploy_to_pool(work_pool={POOL!r}, source=Path({str(ROOT)!r}), "
            f"job_env={job_env!r}, flows_to_deploy=('daily-sweep',), schedules=False); "
            "print(json.dumps({k: str(v) for k, v in ids.items()}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", deploy], env=env, capture_output=True, timeout=180, cwd=ROOT
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        worker = subprocess.Popen(
            [*prefect, "worker", "start", "--pool", POOL, "--type", "process", "--limit", "2"],
            env=env, stdout=worker_log, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        api = server.api_url
        deployment = httpx.get(f"{api}/deployments/name/daily-sweep/pcmd", timeout=10).json()
        created = httpx.post(
            f"{api}/deployments/{deployment['id']}/create_flow_run",
            json={"parameters": {"as_of": "2024-06-18"}},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        run = _wait_run(api, created.json()["id"], timeout=300)
        assert run["state_type"] == "COMPLETED", (
            run["state"],
            (tmp_path / "worker.log").read_text(),
        )

        engine = create_engine(f"sqlite:///{database}")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT province, status, count(*) FROM notices GROUP BY province, status")
            ).all()
        engine.dispose()
        assert sorted(tuple(r) for r in rows) == [
            ("thanh-pho-thu", "sent", 5),
            ("tinh-thu", "sent", 5),
        ]
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
        worker_log.close()
        server.stop()
    assert server.process is not None and server.process.poll() is not None
