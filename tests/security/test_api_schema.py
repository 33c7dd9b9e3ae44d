"""schemathesis against the application's OpenAPI schema (``/api/openapi.json``): generated
requests to every API operation, as an administrator (session cookie and CSRF header) with a
valid portal token in the portal paths, must never get a server error (5xx).

Bounded for CI: a fixed number of examples per operation, derandomised."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from security_support import ADMIN, NOW, World, build_world, csrf_of, new_client, tokens

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.web import create_app
from pcmd_workflow.web.security import SESSION_COOKIE


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("schema"))


@pytest.fixture(scope="module")
def app(world: World) -> Iterator[FastAPI]:
    source = Path(world.url.removeprefix("sqlite:///"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PCMD_DATA_DIR", str(source.parent / "data"))
        reset_settings()
        engine = db.make_engine(world.url)
        yield create_app(engine=engine, clock=FixedClock(NOW))
        engine.dispose()


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> dict[str, Any]:
    client: TestClient = new_client(app, user=ADMIN)
    return {
        "cookies": {SESSION_COOKIE: client.cookies.get(SESSION_COOKIE)},
        "csrf": csrf_of(client),
    }


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_no_server_error(api_schema: Any, admin: dict[str, Any]) -> None:
    """Each operation's strategy run by Hypothesis directly (schemathesis' own pytest plugin
    does not run under this pytest version)."""
    token = tokens(NOW)["agency_a"]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    seen: list[str] = []

    for operation in operations:

        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            if case.path_parameters and "token" in case.path_parameters:
                case.path_parameters["token"] = token
            response = case.call(cookies=admin["cookies"], headers={"x-csrf-token": admin["csrf"]})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
            )

        call()
        seen.append(f"{operation.method.upper()} {operation.path}")
    assert len(seen) == len(operations)
