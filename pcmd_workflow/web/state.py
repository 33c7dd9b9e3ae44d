"""What every request of the web application shares: settings, database, clock, caches."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

__all__ = ["SessionCache", "WebState", "web_state"]


@dataclass
class SessionCache:
    """Coordinators resolved from a session cookie in the last ``seconds`` (a monotonic
    interval): a session ends at most that long after its password changed."""

    seconds: float = 1.0
    monotonic: Callable[[], float] = time.monotonic
    _found: dict[str, tuple[Any, float]] = field(default_factory=dict)

    def get(self, cookie: str) -> Any:
        found = self._found.get(cookie)
        if found is None:
            return None
        user, at = found
        if self.monotonic() - at >= self.seconds:
            self._found.pop(cookie, None)
            return None
        return user

    def put(self, cookie: str, user: Any) -> None:
        if len(self._found) > 10_000:
            self._found.clear()
        self._found[cookie] = (user, self.monotonic())

    def clear(self) -> None:
        self._found.clear()


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
    users: SessionCache = field(default_factory=SessionCache)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block succeeds (writes) or just reads."""
        with session_scope(self.engine) as session:
            yield session


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.pcmd
    return state
