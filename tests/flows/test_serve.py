"""``pcmd serve`` (what ``make run`` starts) as a real process: it comes up, says where the
dashboard is and what it loaded, serves the web application and a local Prefect server with
the deployments, and stops cleanly on SIGTERM, taking its Prefect server with it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from flows_support import PLANS, THANH_PHO_ID, TINH_ID

from flows.local_server import free_port, telemetry_off

READY = "đang chạy các luồng"


def _wait_for(path: Path, pattern: str, proc: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace")
        if pattern in text:
            return text
        if proc.poll() is not None:
            raise AssertionError(f"pcmd serve exited with {proc.returncode}:\n{text[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"'{pattern}' not printed after {timeout:.0f} s:\n{text[-3000:]}")


@pytest.mark.prefect_server
def test_pcmd_serve_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = telemetry_off(dict(os.environ))
    env.pop("PREFECT_API_URL", None)
    env.update(
        PCMD_DATA_DIR=str(tmp_path / "data"),
        PCMD_CALENDARS_DIR=str(PLANS),
        PCMD_WEB_PORT=str(port),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
    )
    env.pop("PCMD_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "pcmd"), "serve"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        children: list[psutil.Process] = []
        try:
            text = _wait_for(log, READY, proc, timeout=240)
            assert f"bảng điều khiển tại http://127.0.0.1:{port}/" in text
            for plan in (THANH_PHO_ID, TINH_ID):
                assert f"đã nạp kế hoạch {plan} (phiên bản 1): 6 nhiệm vụ mới" in text
            assert "Đồng bộ lịch tổng hợp:" in text
            prefect_url = re.search(r"giao diện Prefect tại (http://127\.0\.0\.1:\d+)", text)
            assert prefect_url is not None
            assert httpx.get(f"{prefect_url.group(1)}/api/health", timeout=10).json() is True
            deployments = httpx.post(
                f"{prefect_url.group(1)}/api/deployments/filter", json={}, timeout=10
            ).json()
            assert sorted(d["name"] for d in deployments) == ["pcmd", "pcmd", "pcmd"]
            schedules = {
                d["entrypoint"]: [s["schedule"].get("cron") for s in d["schedules"]]
                for d in deployments
            }
            assert schedules["flows.daily_sweep.daily_sweep"] == ["0 7 * * 1-6"]
            web = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            assert web.status_code < 500
            children = psutil.Process(proc.pid).children(recursive=True)
            assert children, "the local Prefect server runs as a child process"

            # `pcmd run` beside it uses its Prefect server: the run shows in its UI
            run = subprocess.run(
                [str(Path(sys.executable).parent / "pcmd"), "run", "dispatch-outbox",
                 "--now", "2024-06-18T07:30+07:00", "--format", "json"],
                env=env, capture_output=True, timeout=180, cwd=tmp_path,
            )  # fmt: skip
            assert run.returncode == 0, run.stderr.decode()[-2000:]
            assert f"dùng máy chủ Prefect của pcmd serve ({prefect_url.group(1)}/api)" in (
                run.stderr.decode()
            )
            flow_runs = httpx.post(
                f"{prefect_url.group(1)}/api/flow_runs/filter",
                json={
                    "flows": {"name": {"any_": ["dispatch-outbox"]}},
                    "flow_runs": {"deployment_id": {"is_null_": True}},
                },
                timeout=10,
            ).json()
            assert [r["state_type"] for r in flow_runs] == ["COMPLETED"]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    assert code == 0
    assert "đã dừng" in log.read_text(encoding="utf-8")
    _gone, alive = psutil.wait_procs(children, timeout=20)
    assert alive == [], f"left running: {[p.pid for p in alive]}"
