"""The dashboard's caches: pages are kept per snapshot, a write through the application is
seen at once, a write by another process within the freshness interval, and large pages go
gzipped with each client's own CSRF token."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine
from web_support import LC_USER, VAN_BAN, csrf_in, lao_cai_task, new_client, portal_token

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.submissions import excuse
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.web.board import Board


class _Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_board_reads_the_version_at_most_once_per_interval(engine: Engine, now: datetime) -> None:
    ticks = _Ticks()
    board = Board(engine=engine, clock=FixedClock(now), check_seconds=1.0, monotonic=ticks)
    assert board.cached("lao-cai") is None  # nothing known yet
    first = board.snapshot("lao-cai")
    assert board.cached("lao-cai") is first
    with session_scope(engine) as session:  # another process excuses a task
        excuse(session, task_id=lao_cai_task(engine, "iv3-summary", VAN_BAN), reason="x",
               clock=FixedClock(now), by="t")  # fmt: skip
    ticks.t += 0.5
    assert board.snapshot("lao-cai") is first  # within the interval: not seen yet
    ticks.t += 0.6
    assert board.cached("lao-cai") is None
    second = board.snapshot("lao-cai")
    assert second is not first
    assert sum(1 for v in second.tasks if v.status == "excused") == 1
    board.note_write()
    assert board.cached("lao-cai") is None  # a write of ours: read again at once


def test_a_submission_shows_on_the_next_dashboard_request(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    coordinator = new_client(app, user=LC_USER)
    assert coordinator.get("/api/overview").json()["totals"]["submitted_late"] == 0
    before = coordinator.get("/dashboard").text
    assert '<span class="n">0</span> <span class="what">Đã nộp muộn</span>' in before
    agency = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    page = agency.get(f"/portal/{token}/tasks/{task}")
    sent = agency.post(
        f"/portal/{token}/tasks/{task}/values",
        data={"csrf_token": csrf_in(page.text), "v:B.1.1.a": "44"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    after = coordinator.get("/dashboard").text
    assert '<span class="n">1</span> <span class="what">Đã nộp muộn</span>' in after


def test_large_pages_are_gzipped_with_the_clients_own_token(app: FastAPI) -> None:
    one, two = new_client(app, user=LC_USER), new_client(app, user=LC_USER)
    for client in (one, two):
        answer = client.get("/matrix", headers={"accept-encoding": "gzip"})
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.headers["vary"] == "Accept-Encoding"
        token = client.get("/api/csrf").json()["csrf_token"]
        assert f'name="csrf_token" value="{token}"' in answer.text
        assert "__pcmd_csrf_token__" not in answer.text
    plain = one.get("/matrix", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == one.get("/matrix", headers={"accept-encoding": "gzip"}).text
