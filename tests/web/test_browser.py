"""In a real browser (Debian's headless Chromium driven by Playwright): a coordinator logs in
and filters the matrix; an agency opens its link, types one invalid figure, sees the
Vietnamese error, fixes it and gets a receipt; the task turns green on the dashboard.

The application runs under uvicorn in a thread on a free loopback port, on a copy of the
Lào Cai + Hà Nội database, with the clock fixed at Wednesday 01/07/2020 09:00 (before the
districts' due date of Monday 06/07/2020, so the report is on time). Screenshots go to
``test-artifacts/screens/``.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from sqlalchemy import Engine
from web_support import LC_USER, PASSWORDS, VAN_BAN, lao_cai_task, local, portal_token

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.web import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-artifacts" / "screens"
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VALUES = yaml.safe_load((ROOT / "calendars/samples/van-ban-2023.yaml").read_text("utf-8"))["values"]


def _root_conftest() -> Any:
    spec = importlib.util.spec_from_file_location(
        "pcmd_root_conftest_web", ROOT / "tests" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chromium_path = _root_conftest().chromium_path


@pytest.fixture
def now() -> datetime:
    return local("2020-07-01T09:00:00")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(engine: Engine, now: datetime) -> Iterator[str]:
    app = create_app(engine=engine, clock=FixedClock(now))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=BROWSER_ARGS, headless=True)
        yield chromium
        chromium.close()


def _shot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def _login(page: Any, server: str) -> None:
    page.goto(f"{server}/login")
    page.get_by_label("Tên đăng nhập").fill(LC_USER)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[LC_USER])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server}/dashboard")


def test_coordinator_logs_in_and_filters_the_matrix(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.goto(f"{server}/dashboard")
    page.wait_for_url(f"{server}/login?next=%2Fdashboard")
    _login(page, server)
    assert page.title() == "Tổng quan — pcmd"
    assert page.locator("html").get_attribute("lang") == "vi"
    _shot(page, "dashboard")
    page.get_by_role("link", name="Ma trận").click()
    page.wait_for_url(f"{server}/matrix")
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == 18
    page.get_by_label("Cấp đơn vị").select_option("district")
    page.get_by_label("Tìm đơn vị").fill("van ban")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_url("**/matrix?**level=district**")
    assert rows.count() == 1
    assert rows.first.locator("th").inner_text().startswith("UBND huyện Văn Bàn")
    cell = rows.first.locator("td.c")
    assert "st-due_soon" in (cell.get_attribute("class") or "")
    _shot(page, "matrix-filtered")
    # a phone: nothing wider than the screen but the tables' own scroll boxes
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/dashboard", "/matrix", "/overdue"):
        page.goto(f"{server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    _shot(page, "matrix-phone")
    page.goto(f"{server}/dashboard")
    _shot(page, "dashboard-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    # keyboard: the skip link is the first stop and lands on the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_agency_submits_with_one_error_then_gets_a_receipt(
    server: str, browser: Any, engine: Engine, now: datetime
) -> None:
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    token = portal_token(VAN_BAN, now=now)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page.goto(f"{server}/portal/{token}/tasks/{task}")
    assert "Báo cáo tổng kết cấp huyện" in page.title()
    for row_id, value in VALUES.items():
        page.locator(f'[data-row="{row_id}"]').fill(str(value))
    # one invalid figure: text where a count is expected
    wrong = page.locator('[data-row="B.1.1.a.2"]')
    wrong.fill("hai mươi")
    error = page.locator("#r-B-1-1-a-2-err")
    assert error.inner_text() == "«hai mươi» không phải là số"
    assert wrong.get_attribute("aria-invalid") == "true"
    page.get_by_role("button", name="Gửi báo cáo").click()
    summary = page.locator("#client-errors")
    assert summary.is_visible()
    assert "Chưa gửi được: có 1 số liệu cần sửa." in summary.inner_text()
    assert "B.1.1.a.2: «hai mươi» không phải là số" in summary.inner_text()
    assert page.url.endswith(f"/tasks/{task}")  # nothing was sent
    _shot(page, "portal-error")
    wrong.fill("20")
    assert error.inner_text() == ""
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.wait_for_url(f"**/receipts/PCMD-20200701-{task}-1")
    assert page.locator(".receipt-no").inner_text() == f"PCMD-20200701-{task}-1"
    assert "Đã nộp đúng hạn" in page.content()
    _shot(page, "portal-receipt")
    # the coordinator sees the task green
    coordinator = browser.new_page(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    _login(coordinator, server)
    coordinator.goto(f"{server}/matrix?status=submitted_on_time")
    cell = coordinator.locator("table.matrix tbody tr td.c").first
    assert coordinator.locator("table.matrix tbody tr").count() == 1
    assert "st-submitted_on_time" in (cell.get_attribute("class") or "")
    assert cell.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(27, 127, 59)"
    coordinator.goto(f"{server}/tasks/{task}")
    badge = coordinator.locator(".summary-box .status").first
    assert "Đã nộp đúng hạn" in badge.inner_text()
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(27, 127, 59)"
    _shot(coordinator, "task-green")


def test_portal_on_a_phone_screen(server: str, browser: Any, engine: Engine, now: datetime) -> None:
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    token = portal_token(VAN_BAN, now=now)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page.goto(f"{server}/portal/{token}/tasks/{task}")
    # nothing but the form's own scroll box is wider than the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    _shot(page, "portal-phone")
    page.goto(f"{server}/portal/{token}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "portal-home-phone")
