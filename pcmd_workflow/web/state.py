"""What every request of the web application shares: settings, database, clock, caches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request
from jinja2 import Environment
from sqlalchemy import Engine
from sqlmodel import Session

from pcmd_workflow.clock import Clock
from pcmd_workflow.settings import Settings
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.web.security import LoginThrottle, SessionCodec

if TYPE_CHECKING:
    from pcmd_workflow.web.board import Board

__all__ = ["WebState", "web_state"]


@dataclass(kw_only=True)
class WebState:
    settings: Settings
    engine: Engine
    clock: Clock
    secret: str
    sessions: SessionCodec
    templates: Environment
    board: Board
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block succeeds (writes) or just reads."""
        with session_scope(self.engine) as session:
            yield session


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.pcmd
    return state
