"""The reminder engine on PostgreSQL: the bulk insert, idempotency, cancellation, dispatch.

Same mini plan and hand-worked dates as on SQLite (see test_sweep.py): on 13/06/2024 seven
notices (T-2 of the 17/06 report for four units, T-7 of the 18/06 report for two, the
missing-contacts list); on 17/06 the waiting ones are superseded by T0.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fakes.smtp_server import SmtpServer
from notify_support import CONG_AN, COORDINATOR, MTTQ, SO_Y_TE, Store, local

from pcmd_workflow.services.dispatch import DispatchPolicy

pytestmark = pytest.mark.postgres


def test_sweep_dispatch_and_cancel_on_postgres(pg_store: Store, smtp_server: SmtpServer) -> None:
    pg_store.configure(email_url=smtp_server.url())
    first = pg_store.sweep(date(2024, 6, 13))
    again = pg_store.sweep(date(2024, 6, 13))
    assert (first.inserted, again.inserted) == (7, 0)
    payload = pg_store.notices(unit="so-y-te", rung="T-2")[0].payload
    assert payload["unit_name"] == "Sở Y tế" and payload["addressee_name"] == "Sở Y tế"
    report = pg_store.dispatch(local("2024-06-13 08:00"))
    assert (report.sent, report.messages) == (7, 6)
    received = sorted(r for e in smtp_server.envelopes for r in e.rcpt_tos)
    assert received == sorted([SO_Y_TE, CONG_AN, MTTQ, COORDINATOR])
    later = pg_store.sweep(date(2024, 6, 17))
    # T0 x4, T-2 of 18/06 x2, the digest (four due today), the contacts list; nothing waits
    assert later.inserted == 8 and later.cancelled == 0


def test_retries_dead_letters_and_leases_on_postgres(
    pg_store: Store, smtp_server: SmtpServer
) -> None:
    pg_store.configure(email_url=smtp_server.url())
    smtp_server.reject.add(MTTQ)
    pg_store.sweep(date(2024, 6, 13))
    policy = DispatchPolicy(backoff=(timedelta(minutes=1),), max_attempts=1)
    report = pg_store.dispatch(local("2024-06-13 08:00"), policy=policy)
    assert report.dead == 1
    assert [n.recipient for n in pg_store.notices(kind="dead_letter")] == [COORDINATOR]
    assert all(n.claimed_by is None for n in pg_store.notices())
