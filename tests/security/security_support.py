"""The web application over a small world with two provinces, for the security tests
(importable as ``security_support``).

Province X is Lào Cai (plan ``lao-cai-142-kh-ubnd-2020``), unit A its Văn Bàn district and
unit B its Bắc Hà district; province Y is Hà Nội (plan ``ha-noi-255-kh-ubnd-2021``). Unit A
has submitted its five-year summary (version 1, a receipt), accepted, and the summary has
been compiled once: every kind of resource a route can name exists and belongs to A and X.
The coordinators' login helpers come from the web tests' ``web_support``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

WEB_TESTS = Path(__file__).resolve().parents[1] / "web"
if str(WEB_TESTS) not in sys.path:
    sys.path.insert(0, str(WEB_TESTS))

from web_support import (  # noqa: E402
    ADMIN,
    BAC_HA,
    HA_NOI_PLAN,
    HN_USER,
    LAO_CAI_PLAN,
    LC_USER,
    PASSWORDS,
    VAN_BAN,
    csrf_of,
    local,
    new_client,
    portal_token,
)

from pcmd_workflow.clock import FixedClock  # noqa: E402
from pcmd_workflow.services import submissions  # noqa: E402
from pcmd_workflow.services.compile import compile_period  # noqa: E402
from pcmd_workflow.services.plans import load_plans  # noqa: E402
from pcmd_workflow.settings import reset_settings  # noqa: E402
from pcmd_workflow.store import db  # noqa: E402
from pcmd_workflow.store.users import add_user  # noqa: E402

__all__ = [
    "ADMIN",
    "BAC_HA",
    "HN_USER",
    "LAO_CAI_PLAN",
    "LC_USER",
    "VAN_BAN",
    "World",
    "build_world",
    "csrf_of",
    "local",
    "new_client",
    "portal_token",
]

ROOT = Path(__file__).resolve().parents[2]
OBLIGATION = "iii2-summary"
PERIOD = "2016-2020"
#: the instant every request is answered at: Wednesday 08/07/2020, 09:00 in Vietnam
NOW = local("2020-07-08T09:00:00")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True, kw_only=True)
class World:
    url: str
    task_a: int
    task_b: int
    receipt_a: str
    compilation_id: int


def _task(engine: Engine, unit: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT task_id FROM tasks WHERE key = :k"),
            {"k": f"{LAO_CAI_PLAN}/{OBLIGATION}/{unit}/{PERIOD}"},
        ).scalar_one()
    return int(found)


def build_world(directory: Path, *, hostile_text: str | None = None) -> World:
    """The database (``world.sqlite3``) and data directory (``data/``) of the two provinces
    in ``directory``; ``hostile_text`` goes into the free-text fields the actions take
    (submitter, reason and author of an extension). Point PCMD_DATA_DIR at ``data/``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PCMD_DATA_DIR", str(directory / "data"))
        mp.delenv("PCMD_DATABASE_URL", raising=False)
        reset_settings()
        try:
            return _build(directory, hostile_text=hostile_text)
        finally:
            reset_settings()


def _build(directory: Path, *, hostile_text: str | None) -> World:
    url = f"sqlite:///{directory / 'world.sqlite3'}"
    engine = db.upgrade(url)
    clock = FixedClock(local("2020-06-01T08:00:00"))
    with db.session_scope(engine) as session:
        load_plans(
            session,
            [
                ROOT / "calendars" / f"{LAO_CAI_PLAN}.yaml",
                ROOT / "calendars" / f"{HA_NOI_PLAN}.yaml",
            ],
            clock=clock,
        )
        add_user(
            session, username=LC_USER, password=PASSWORDS[LC_USER], province="lao-cai", clock=clock
        )
        add_user(
            session, username=HN_USER, password=PASSWORDS[HN_USER], province="ha-noi", clock=clock
        )
        add_user(session, username=ADMIN, password=PASSWORDS[ADMIN], admin=True, clock=clock)
    task_a, task_b = _task(engine, VAN_BAN), _task(engine, BAC_HA)
    at = FixedClock(local("2020-07-03T10:00:00"))
    by = hostile_text or "Phòng LĐTBXH huyện Văn Bàn"
    with db.session_scope(engine) as session:
        receipt = submissions.submit(
            session,
            task_id=task_a,
            clock=at,
            file=PDF,
            file_name="bao-cao-van-ban.pdf",
            values={"B.1.1.a": 44, "B.1.1.a.1": 24, "B.1.1.a.2": 20},
            by=by,
            channel="portal",
        )
    with db.session_scope(engine) as session:
        submissions.review(session, task_id=task_a, accept=True, clock=at, by="canbo.laocai")
        if hostile_text:
            submissions.extend(
                session, task_id=task_b, to=local("2020-07-20T00:00:00").date(),
                reason=hostile_text, clock=at, by=hostile_text,
            )  # fmt: skip
    with db.session_scope(engine) as session:
        result = compile_period(
            session,
            plan_id=LAO_CAI_PLAN,
            obligation=OBLIGATION,
            period=PERIOD,
            as_of=local("2020-07-08T08:00:00"),
            out_dir=directory / "data" / "compilations",
            clock=FixedClock(local("2020-07-08T08:00:00")),
        )
    engine.dispose()
    return World(
        url=url,
        task_a=task_a,
        task_b=task_b,
        receipt_a=receipt.receipt_no,
        compilation_id=result.compilation_id,
    )


def tokens(now: datetime) -> dict[str, str]:
    return {
        "agency_a": portal_token(VAN_BAN, now=now),
        "agency_b": portal_token(BAC_HA, now=now),
        "agency_expired": portal_token(VAN_BAN, now=now - timedelta(days=40)),
    }
