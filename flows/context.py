"""What every flow needs: a database session, a clock, a logger, the output directory.

Flows are thin: they open a session on the configured database (created on first use,
:func:`pcmd_workflow.store.db.ready_engine`), pick the clock (the real one, or the morning
of ``--as-of D``, CONTRACTS "Dates, instants, deadlines") and call
:mod:`pcmd_workflow.services.engine`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from pcmd_workflow.clock import Clock, FixedClock, SystemClock, as_of_instant, local_date, to_utc
from pcmd_workflow.settings import get_settings
from pcmd_workflow.store import db

__all__ = [
    "clock_at",
    "clock_for",
    "compilations_dir",
    "engine",
    "logger",
    "session",
    "today",
    "window_opening",
]


_READY: set[str] = set()


def engine() -> Engine:
    """The configured database's engine, its schema checked once per process and URL."""
    eng = db.get_engine()
    url = eng.url.render_as_string(hide_password=False)
    if url not in _READY:
        db.ready_engine(eng)
        _READY.add(url)
    return eng


@contextmanager
def session() -> Iterator[Session]:
    """A session on the configured database, committed when the block succeeds."""
    with db.session_scope(engine()) as s:
        yield s


def clock_for(as_of: date | None) -> Clock:
    """The real clock, or 07:00 local on ``as_of`` (the morning sweep of that day)."""
    return SystemClock() if as_of is None else FixedClock(as_of_instant(as_of))


def clock_at(instant: datetime | None) -> Clock:
    """The real clock, or one fixed at ``instant`` (naive means Asia/Ho_Chi_Minh)."""
    return SystemClock() if instant is None else FixedClock(to_utc(instant))


def window_opening(day: date) -> datetime:
    """The opening of the sending window on ``day`` (settings; 07:30 by default)."""
    hours, minutes = get_settings().send_window_start.split(":")
    return as_of_instant(day, time(int(hours), int(minutes)))


def today(clock: Clock) -> date:
    return local_date(clock.now())


def compilations_dir() -> Path:
    """Where compiled reports are written: ``<data_dir>/compilations``."""
    return get_settings().ensure_data_dir() / "compilations"


def logger() -> Any:
    """The flow or task run logger (shown in Prefect), or ``pcmd.flows`` outside a run."""
    try:
        from prefect.exceptions import MissingContextError
        from prefect.logging import get_run_logger

        try:
            return get_run_logger()
        except MissingContextError:
            pass
    except ImportError:  # pragma: no cover - prefect is a dependency
        pass
    return logging.getLogger("pcmd.flows")
