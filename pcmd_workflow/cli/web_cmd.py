"""``pcmd web`` (the dashboard and portal alone) and ``pcmd user add|list`` (coordinators)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from pcmd_workflow.cli.app import OutputFormat, app, emit
from pcmd_workflow.clock import SystemClock
from pcmd_workflow.errors import ConfigError
from pcmd_workflow.settings import get_settings

__all__ = ["user_add", "user_app", "user_list", "web"]

user_app = typer.Typer(help="Coordinator accounts of the dashboard.", no_args_is_help=True)
app.add_typer(user_app, name="user")

#: Where ``pcmd user add`` reads the password when set (scripts, CI); else it prompts.
PASSWORD_ENV = "PCMD_NEW_PASSWORD"


@app.command("web")
def web(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the dashboard and the agencies' portal (default 127.0.0.1:8000)."""
    import uvicorn

    from pcmd_workflow.store.db import get_engine, ready_engine
    from pcmd_workflow.web import create_app

    settings = get_settings()
    host = host or settings.web_host
    port = port or settings.web_port
    engine = ready_engine(get_engine())
    application = create_app(settings=settings, engine=engine, migrate=False)
    typer.echo(f"pcmd: bảng điều khiển tại http://{host}:{port}/ (Ctrl-C để dừng)")
    uvicorn.run(
        application, host=host, port=port, log_level="info", proxy_headers=True, access_log=False
    )


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    value: str = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    return value


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, . _ -).")],
    province: Annotated[
        str | None, typer.Option("--province", help="The plans' jurisdiction this user sees.")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Sees every plan.")] = False,
) -> None:
    """Create a coordinator account (password from PCMD_NEW_PASSWORD or a prompt)."""
    from sqlalchemy import select

    from pcmd_workflow.store.db import get_engine, ready_engine, session_scope
    from pcmd_workflow.store.models import plans_table
    from pcmd_workflow.store.users import add_user

    if admin == (province is not None):
        raise ConfigError("cần đúng một trong hai: --province ID hoặc --admin")
    password = _password()
    engine = ready_engine(get_engine())
    with session_scope(engine) as session:
        user = add_user(
            session,
            username=username,
            password=password,
            clock=SystemClock(),
            province=province,
            admin=admin,
        )
        known = set(session.execute(select(plans_table.c.jurisdiction)).scalars())
    scope = "quản trị (mọi kế hoạch)" if admin else f"địa bàn {province}"
    typer.echo(f"pcmd: đã tạo tài khoản «{user.username}», {scope}")
    if province is not None and province not in known:
        typer.echo(
            f"pcmd: lưu ý: chưa có kế hoạch nào của địa bàn «{province}» trong cơ sở dữ liệu",
            err=True,
        )


@user_app.command("list")
def user_list(
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List the coordinator accounts (never their passwords)."""
    from pcmd_workflow.store.db import get_engine, ready_engine, session_scope
    from pcmd_workflow.store.users import list_users

    engine = ready_engine(get_engine())
    with session_scope(engine) as session:
        rows = [
            {
                "username": u.username,
                "province": u.province,
                "admin": u.is_admin,
                "disabled": u.disabled,
                "last_login_at": None if u.last_login_at is None else u.last_login_at.isoformat(),
            }
            for u in list_users(session)
        ]
    emit(rows, fmt, columns=("username", "province", "admin", "disabled", "last_login_at"))
