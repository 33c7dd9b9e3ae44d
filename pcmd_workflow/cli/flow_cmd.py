"""The engine running itself: ``pcmd serve``, ``pcmd run …``, ``pcmd schedule``, ``pcmd replay``.

``pcmd serve`` is what ``make run`` starts: it applies the database migrations, loads the
enabled plans, starts a local Prefect server (unless ``PREFECT_API_URL`` names one), keeps the
scheduled compilation runs in step with the due dates, starts the web application and serves
the three deployments with their schedules (``flows/schedules.py``) until Ctrl-C or SIGTERM.

Prefect is imported only by the commands that need it, after the environment is set:
``PREFECT_HOME`` under the data directory, telemetry off (STACK "Prefect offline").
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import warnings
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from pcmd_workflow.cli.app import OutputFormat, app, emit, parse_day, run_app
from pcmd_workflow.clock import LOCAL_TZ, SystemClock, to_utc
from pcmd_workflow.errors import CalendarError, ConfigError
from pcmd_workflow.settings import Settings, get_settings

__all__ = [
    "prepare_prefect_env",
    "replay_cmd",
    "run_compile_after_deadline",
    "run_daily_sweep",
    "run_dispatch_outbox",
    "schedule_cmd",
    "serve_cmd",
]

_FMT = Annotated[OutputFormat, typer.Option("--format", help="json, table or csv.")]


def _say(text: str) -> None:
    print(text, flush=True)


def prepare_prefect_env(settings: Settings) -> Path:
    """Environment for Prefect, set before it is imported; returns ``PREFECT_HOME``.

    ``PREFECT_HOME`` defaults to ``<data_dir>/prefect`` (its SQLite database, its logs);
    telemetry is off; the data directory is made absolute so that flow-run subprocesses
    started elsewhere find the same database.
    """
    data_dir = settings.ensure_data_dir().resolve()
    os.environ["PCMD_DATA_DIR"] = str(data_dir)
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    home = Path(os.environ.setdefault("PREFECT_HOME", str(data_dir / "prefect")))
    home.mkdir(parents=True, exist_ok=True)
    from pcmd_workflow.settings import reset_settings

    reset_settings()
    return home


#: Where ``pcmd serve`` writes the API URL of the Prefect server it started.
API_URL_FILE = "pcmd-serve-api-url"


def _use_served_server(home: Path) -> str | None:
    """The API of a running ``pcmd serve``'s Prefect server (then ``pcmd run`` shows up in
    its UI instead of starting a temporary server); None when there is none."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    try:
        url = (home / API_URL_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    import httpx

    try:
        healthy = httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        healthy = False
    if healthy:
        os.environ["PREFECT_API_URL"] = url
        return url
    return None


def _prepare_run() -> None:
    """Environment of ``pcmd run``: the served Prefect server when one runs."""
    home = prepare_prefect_env(get_settings())
    url = _use_served_server(home)
    if url:
        print(f"pcmd: dùng máy chủ Prefect của pcmd serve ({url})", file=sys.stderr)


def _instant(value: str, *, option: str) -> datetime:
    try:
        return to_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise CalendarError(
            f"{option}: '{value}' is not an instant; expected YYYY-MM-DDTHH:MM[:SS][+07:00]"
        ) from None


# ---- pcmd schedule ---------------------------------------------------------------------------


def _upcoming_compilations(now: datetime, count: int) -> list[datetime] | None:
    """The next compilation instants from the store, or None without a database."""
    from sqlalchemy.engine import make_url

    from pcmd_workflow.services import engine
    from pcmd_workflow.store import db

    url = make_url(get_settings().effective_database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return None
    try:
        eng = db.get_engine()
        if db.current_revision(eng) != db.head_revision():
            return None
        with db.session_scope(eng) as session:
            due = engine.due_compilations(session, now=now)
    except Exception:  # an unreachable database must not break the listing
        return None
    instants = sorted({d.scheduled_at for d in due})
    return [i.astimezone(LOCAL_TZ) for i in instants[:count]]


@app.command("schedule")
def schedule_cmd(
    now: Annotated[
        str | None,
        typer.Option("--now", help="Compute the next runs after this instant (default: now)."),
    ] = None,
    count: Annotated[int, typer.Option("--count", help="Next runs shown.", min=1)] = 3,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """The deployments, their cron in Asia/Ho_Chi_Minh and their next runs."""
    from flows.schedules import SCHEDULES

    after = _instant(now, option="--now") if now else SystemClock().now()
    rows: list[dict[str, Any]] = []
    for s in SCHEDULES:
        if s.cron is None:
            runs = _upcoming_compilations(after, count)
            cron = None
        else:
            runs = s.next_runs(after=after, count=count)
            cron = s.cron
        rows.append(
            {
                "deployment": s.deployment,
                "cron": cron,
                "timezone": s.timezone,
                "next_runs": [r.isoformat() for r in runs or []],
                "description": s.description_vi,
                "description_en": s.description_en,
            }
        )
    if fmt is OutputFormat.json:
        emit(rows, fmt)
        return
    table = [
        {
            **r,
            "cron": r["cron"] or "(theo hạn nộp / from due dates)",
            "next_runs": ", ".join(x[:16].replace("T", " ") for x in r["next_runs"]) or "-",
        }
        for r in rows
    ]
    emit(table, fmt, columns=("deployment", "cron", "timezone", "next_runs", "description"))


# ---- pcmd run ----------------------------------------------------------------------------------


def _print_result(result: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    flat = {k: v for k, v in result.items() if not isinstance(v, list | dict)}
    emit(flat, fmt)


@run_app.command("daily-sweep")
def run_daily_sweep(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day swept (YYYY-MM-DD; default today).")
    ] = None,
    province: Annotated[
        list[str] | None, typer.Option("--province", help="Only this jurisdiction (repeatable).")
    ] = None,
    no_dispatch: Annotated[
        bool, typer.Option("--no-dispatch", help="Write the notices, send nothing.")
    ] = False,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """One run of the daily-sweep flow now, through Prefect."""
    day = parse_day(as_of, option="--as-of") if as_of else None
    _prepare_run()
    from flows.daily_sweep import daily_sweep

    result = daily_sweep(as_of=day, provinces=province or None, dispatch=not no_dispatch)
    _print_result(result, fmt)


@run_app.command("dispatch-outbox")
def run_dispatch_outbox(
    now: Annotated[
        str | None, typer.Option("--now", help="Dispatch at this instant (ISO 8601).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many messages.", min=1)
    ] = None,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """One run of the dispatch-outbox flow now, through Prefect."""
    at = _instant(now, option="--now") if now else None
    _prepare_run()
    from flows.dispatch_outbox import dispatch_outbox

    _print_result(dispatch_outbox(now=at, limit=limit), fmt)


@run_app.command("compile-after-deadline")
def run_compile_after_deadline(
    plan: Annotated[str, typer.Option("--plan", help="Plan id (file stem).")],
    obligation: Annotated[str, typer.Option("--obligation", help="Obligation id.")],
    period: Annotated[str, typer.Option("--period", help="Period label, e.g. 2024-H1.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Compile as of 07:00 on this day.")
    ] = None,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """One run of the compile-after-deadline flow now, through Prefect."""
    day = parse_day(as_of, option="--as-of") if as_of else None
    _prepare_run()
    from flows.compile_after_deadline import compile_after_deadline

    _print_result(
        compile_after_deadline(plan_id=plan, obligation=obligation, period=period, as_of=day),
        fmt,
    )


# ---- pcmd replay -------------------------------------------------------------------------------


@app.command("replay")
def replay_cmd(
    plan: Annotated[
        list[Path], typer.Option("--plan", help="Plan file (repeatable).", exists=False)
    ],
    start: Annotated[str, typer.Option("--from", help="First day replayed (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last day replayed (YYYY-MM-DD).")],
    submissions: Annotated[
        Path | None,
        typer.Option("--submissions", help="CSV: obligation,reporter,period,submitted_at."),
    ] = None,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Run the engine day by day on a simulated clock, on a scratch database; print what
    would have been sent and compiled, and when."""
    from pcmd_workflow.services.replay import REPLAY_COLUMNS, read_submissions, replay

    first = parse_day(start, option="--from")
    last = parse_day(end, option="--to")
    for path in plan:
        if not path.is_file():
            raise ConfigError(f"--plan: {path}: no such plan file")
    rows = read_submissions(submissions) if submissions is not None else []
    result = replay(plan_paths=plan, start=first, end=last, submissions=rows)
    emit([r.as_row() for r in result.rows], fmt, columns=REPLAY_COLUMNS)
    for line in result.ignored:
        print(f"pcmd: replay: {submissions}: {line}", file=sys.stderr)
    print(f"pcmd: {result.summary()}", file=sys.stderr)


# ---- pcmd serve --------------------------------------------------------------------------------


class _Stop(KeyboardInterrupt):
    """SIGTERM before Prefect's runner takes the signal over: stop like Ctrl-C."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop()


def _check_port(host: str, port: int) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise ConfigError(
                f"PCMD_WEB_PORT: {host}:{port} is already in use; stop what listens there "
                "or set PCMD_WEB_HOST/PCMD_WEB_PORT"
            ) from None


class _Web:
    """The web application under uvicorn, in a thread of the serving process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def start(self) -> str | None:
        """Start it; the reason when it cannot be started (then serving goes on without)."""
        try:
            from pcmd_workflow.web import create_app
        except ImportError as exc:
            return f"ứng dụng web chưa có ({exc}) | web application not available"
        import uvicorn

        from pcmd_workflow.store import db

        application = create_app(settings=self.settings, engine=db.get_engine(), migrate=False)
        config = uvicorn.Config(
            application,
            host=self.settings.web_host,
            port=self.settings.web_port,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="pcmd-web", daemon=True)
        self.thread.start()
        return None

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)


def _load_plans(settings: Settings) -> list[Any]:
    from pcmd_workflow.services import engine
    from pcmd_workflow.store import db

    paths = engine.plan_files(settings)
    with db.session_scope(db.get_engine()) as session:
        return engine.materialise(session, paths=paths, clock=SystemClock(), actor="pcmd serve")


def _sync_compile_runs() -> Any:
    from flows.calendar_sync import sync_compile_runs
    from pcmd_workflow.services import engine
    from pcmd_workflow.store import db

    now = SystemClock().now()
    with db.session_scope(db.get_engine()) as session:
        wanted = engine.due_compilations(session, now=now)
    return sync_compile_runs(wanted, now=now)


@app.command("serve")
def serve_cmd(
    web: Annotated[
        bool, typer.Option("--web/--no-web", help="Also serve the dashboard and portal.")
    ] = True,
    prefect_port: Annotated[
        int | None,
        typer.Option("--prefect-port", help="Port of the local Prefect server (default: free)."),
    ] = None,
) -> None:
    """Run the engine: migrations, plans, scheduled flows, web application (Ctrl-C stops)."""
    settings = get_settings()
    home = prepare_prefect_env(settings)
    settings = get_settings()
    if web:
        _check_port(settings.web_host, settings.web_port)
    signal.signal(signal.SIGTERM, _on_sigterm)
    server = None
    web_app = _Web(settings)
    try:
        from flows.local_server import LocalPrefectServer

        if not os.environ.get("PREFECT_API_URL"):
            server = LocalPrefectServer(home=home, port=prefect_port or 0).start()
            _say(f"pcmd: khởi động máy chủ Prefect cục bộ tại {server.url} ({server.log_path})")

        from pcmd_workflow.store import db

        db.upgrade()
        _say(f"pcmd: cơ sở dữ liệu đã cập nhật lược đồ ({db.head_revision()})")
        for report in _load_plans(settings):
            _say(
                f"pcmd: đã nạp kế hoạch {report.plan_id} (phiên bản {report.version}): "
                f"{report.created} nhiệm vụ mới, {report.updated} cập nhật, "
                f"{report.cancelled} hủy, {report.unchanged} không đổi"
            )
        if server is not None:
            server.wait_ready(timeout=180)
            os.environ["PREFECT_API_URL"] = server.api_url
            (home / API_URL_FILE).write_text(server.api_url, encoding="utf-8")
        from prefect import serve

        from flows.deployments import build_deployments

        deployments = build_deployments()
        for deployment in deployments:
            deployment.apply()
        _say(f"pcmd: {_sync_compile_runs().summary()}")
        if web:
            why = web_app.start()
            if why:
                _say(f"pcmd: {why}")
            else:
                _say(
                    f"pcmd: bảng điều khiển tại http://{settings.web_host}:{settings.web_port}/ "
                    "| dashboard"
                )
        if server is not None:
            _say(f"pcmd: giao diện Prefect tại {server.url} | Prefect UI")
        names = ", ".join(f"{d.flow_name}/{d.name}" for d in deployments)
        _say(f"pcmd: đang chạy các luồng {names}; Ctrl-C để dừng | running, Ctrl-C stops")
        # Prefect's own SIGTERM handler calls an async stop without awaiting it (harmless).
        warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
        serve(*deployments, pause_on_shutdown=False, print_starting_message=False)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (_Stop) before the runner started
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        web_app.stop()
        if server is not None:
            (home / API_URL_FILE).unlink(missing_ok=True)
            server.stop()
        _say("pcmd: đã dừng | stopped")
