"""``pcmd doctor``: is this installation ready to run, and if not, what to fix.

Each check gives one line: what was looked at, what was found, and for a problem the fix.
Checks never change anything (no schema creation, no token refresh, no message sent): the
database is opened and read, the SMTP server is greeted (EHLO, then QUIT), the Zalo hosts
get one GET, files are only stat()ed, and the data directory gets one temporary file.

Severity: ``error`` makes the command exit 2; ``warning`` is printed and does not (the next
year's working-day calendar, which the Government usually announces late in the year;
a channel not configured, whose notices go to the local sink).
"""

from __future__ import annotations

import smtplib
import ssl
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from pcmd_workflow.clock import Clock, local_date
from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.plan_loader import check_plan_file
from pcmd_workflow.errors import PcmdError
from pcmd_workflow.settings import Settings, get_settings
from pcmd_workflow.store import db

__all__ = [
    "Check",
    "DoctorReport",
    "Severity",
    "check_calendar",
    "check_data_dir",
    "check_database",
    "check_email",
    "check_plans",
    "check_secret_files",
    "check_zalo",
    "run_doctor",
]

#: seconds allowed to each network probe (database connect, SMTP greeting, Zalo GET)
PROBE_TIMEOUT = 5.0
_SECRET_FILE = "secret.key"
_TOKEN_FILE = "zalo-tokens.json"


class Severity(StrEnum):
    ok = "ok"
    warning = "warning"
    error = "error"


_LABEL = {Severity.ok: "[OK]", Severity.warning: "[CẢNH BÁO]", Severity.error: "[LỖI]"}


@dataclass(frozen=True, kw_only=True)
class Check:
    """One finding: ``name`` of the area, what was found, and how to fix a problem."""

    name: str
    severity: Severity
    detail: str
    fix: str | None = None

    def line(self) -> str:
        fix = f" → cách sửa: {self.fix}" if self.fix and self.severity is not Severity.ok else ""
        return f"{_LABEL[self.severity]} {self.name}: {self.detail}{fix}"

    def as_row(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "severity": self.severity.value,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True, kw_only=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def errors(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.severity is Severity.error)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.severity is Severity.warning)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2

    def summary(self) -> str:
        if self.ok:
            return f"pcmd doctor: mọi thứ sẵn sàng ({len(self.warnings)} cảnh báo)"
        return (
            f"pcmd doctor: {len(self.errors)} lỗi cần sửa, {len(self.warnings)} cảnh báo "
            "(see the lines marked [LỖI])"
        )


def _ok(name: str, detail: str) -> Check:
    return Check(name=name, severity=Severity.ok, detail=detail)


def _error(name: str, detail: str, fix: str) -> Check:
    return Check(name=name, severity=Severity.error, detail=detail, fix=fix)


def _warning(name: str, detail: str, fix: str) -> Check:
    return Check(name=name, severity=Severity.warning, detail=detail, fix=fix)


# ---- database ------------------------------------------------------------------------------


def check_database(url: str, *, timeout: float = PROBE_TIMEOUT) -> list[Check]:
    """Reachable, and migrated to the head revision (nothing is created or upgraded)."""
    name = "cơ sở dữ liệu"
    try:
        parsed = make_url(db.normalise_url(url))
    except PcmdError as exc:
        return [_error(name, str(exc), "đặt PCMD_DATABASE_URL đúng dạng")]
    shown = parsed.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or not path.exists():
            return [
                _error(
                    name,
                    f"{shown}: tệp cơ sở dữ liệu chưa tồn tại",
                    "chạy `pcmd db upgrade` để tạo lược đồ",
                )
            ]
    else:
        kwargs["connect_args"] = {"connect_timeout": max(1, int(timeout))}
    engine = db.make_engine(url, **kwargs)
    try:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = db.current_revision(engine)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return [
                _error(
                    name,
                    f"{shown}: không kết nối được ({first[:200]})",
                    "kiểm tra máy chủ cơ sở dữ liệu đang chạy và PCMD_DATABASE_URL",
                )
            ]
    finally:
        engine.dispose()
    head = db.head_revision()
    if current == head:
        return [_ok(name, f"{shown}: kết nối được, lược đồ ở phiên bản mới nhất {head}")]
    found = current or "trống (chưa có lược đồ)"
    return [
        _error(
            name,
            f"{shown}: lược đồ ở phiên bản {found}, cần {head}",
            "chạy `pcmd db upgrade` (sao lưu trước bằng `pcmd backup --out FILE`)",
        )
    ]


# ---- files -----------------------------------------------------------------------------------


def check_data_dir(data_dir: Path) -> list[Check]:
    """The data directory exists, is writable, and is not writable by others."""
    name = "thư mục dữ liệu"
    if not data_dir.exists():
        return [
            _error(
                name,
                f"{data_dir} chưa tồn tại",
                f"tạo thư mục: mkdir -p {data_dir} (hoặc chạy `pcmd db upgrade`)",
            )
        ]
    if not data_dir.is_dir():
        return [_error(name, f"{data_dir} không phải thư mục", "đặt PCMD_DATA_DIR là thư mục")]
    try:
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".pcmd-doctor-"):
            pass
    except OSError as exc:
        return [
            _error(
                name,
                f"{data_dir}: không ghi được ({exc.strerror})",
                f"cấp quyền ghi cho người chạy pcmd: chown/chmod {data_dir}",
            )
        ]
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & 0o002:
        return [
            _error(
                name,
                f"{data_dir}: quyền {mode:o} cho phép mọi người ghi",
                f"chmod o-w {data_dir}",
            )
        ]
    return [_ok(name, f"{data_dir}: ghi được")]


def check_secret_files(
    files: Iterable[tuple[Path, bool]],
) -> list[Check]:
    """Secret files not readable by others: ``(path, private)``.

    A private file (signing key, Zalo tokens) must be 0600 (CONTRACTS "Files"); any other
    (settings, the SQLite database with every unit's contacts) must not be readable by
    others through a directory they can enter.
    """
    checks: list[Check] = []
    for path, private in files:
        if not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if private:
            loose = bool(mode & 0o077)
        else:
            parent = stat.S_IMODE(path.parent.stat().st_mode)
            loose = bool(mode & 0o004) and bool(parent & 0o001)
        if loose:
            wanted = "600" if private else "o-rwx"
            checks.append(
                _error(
                    "quyền tệp bí mật",
                    f"{path}: quyền {mode:o} cho người khác đọc được",
                    f"chmod {wanted} {path}",
                )
            )
        else:
            checks.append(_ok("quyền tệp bí mật", f"{path}: quyền {mode:o}"))
    return checks


# ---- channels --------------------------------------------------------------------------------


def check_email(url: str | None, *, timeout: float = PROBE_TIMEOUT) -> list[Check]:
    """The SMTP server of ``PCMD_EMAIL_URL`` answers a greeting (and offers STARTTLS if asked)."""
    name = "kênh e-mail"
    if not url:
        return [
            _warning(
                name,
                "chưa cấu hình (thông báo e-mail ghi vào tệp sink cục bộ)",
                "đặt PCMD_EMAIL_URL=mailto://user:pass@smtp.host:587?from=...&mode=starttls",
            )
        ]
    from apprise.plugins.email import NotifyEmail

    results = (
        NotifyEmail.parse_url(url) if url.lower().startswith(("mailto:", "mailtos:")) else None
    )
    if not results:
        return [
            _error(
                name,
                "PCMD_EMAIL_URL không phải URL e-mail",
                "dùng dạng mailto://user:pass@smtp.host:587?from=...&mode=starttls",
            )
        ]
    try:
        plugin = NotifyEmail(**{**results, "targets": ["probe@example.invalid"]})
    except TypeError as exc:
        return [_error(name, f"PCMD_EMAIL_URL: {exc}", "sửa các tham số của URL")]
    host, port, mode = str(plugin.smtp_host), int(plugin.port or 25), str(plugin.secure_mode)
    where = f"{host}:{port} ({mode})"
    try:
        smtp: smtplib.SMTP
        if mode == "ssl":
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        try:
            code, _ = smtp.ehlo()
            has_starttls = smtp.has_extn("starttls")
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    except (OSError, smtplib.SMTPException) as exc:
        return [
            _error(
                name,
                f"máy chủ SMTP {where} không trả lời ({type(exc).__name__}: {exc})",
                "kiểm tra máy chủ SMTP, cổng và tường lửa, hoặc sửa PCMD_EMAIL_URL",
            )
        ]
    if code // 100 != 2:
        return [_error(name, f"{where}: EHLO bị từ chối ({code})", "kiểm tra máy chủ SMTP")]
    if mode == "starttls" and not has_starttls:
        return [
            _error(
                name,
                f"{where}: máy chủ không hỗ trợ STARTTLS",
                "dùng mode=ssl hoặc máy chủ có STARTTLS (mode=insecure chỉ trong mạng nội bộ)",
            )
        ]
    return [_ok(name, f"máy chủ SMTP {where} trả lời")]


def check_zalo(
    url: str | None, *, data_dir: Path, clock: Clock, timeout: float = PROBE_TIMEOUT
) -> list[Check]:
    """The Zalo hosts answer, and the token file holds a pair that is not disabled."""
    name = "kênh Zalo"
    if not url:
        return [_ok(name, "không dùng (chưa cấu hình PCMD_ZALO_URL)")]
    from pcmd_workflow.channels import TokenStore, ZaloChannel

    try:
        channel = ZaloChannel.from_url(url, clock=clock, data_dir=data_dir)
    except PcmdError as exc:
        return [_error(name, str(exc), "sửa PCMD_ZALO_URL")]
    config = channel.client.config
    channel.close()
    checks: list[Check] = []
    bases = dict.fromkeys([config.oa_base_url, config.zns_base_url, config.oauth_base_url])
    with httpx.Client(timeout=timeout) as http:
        for base in bases:
            host = urlsplit(base).netloc or base
            try:
                answer = http.get(base)
            except httpx.HTTPError as exc:
                checks.append(
                    _error(
                        name,
                        f"{host}: không kết nối được ({type(exc).__name__})",
                        "kiểm tra mạng ra Internet/proxy, hoặc địa chỉ oa_url/zns_url/oauth_url",
                    )
                )
            else:
                checks.append(_ok(name, f"{host}: trả lời (HTTP {answer.status_code})"))
    store = TokenStore(config.token_path)
    try:
        tokens = store.load()
    except PcmdError as exc:
        return [*checks, _error(name, str(exc), "nạp lại cặp token bằng TokenStore.seed")]
    if tokens is None:
        checks.append(
            _error(
                name,
                f"{config.token_path}: chưa có cặp token Zalo",
                "cấp quyền ứng dụng OA rồi nạp token (TokenStore(path).seed(...))",
            )
        )
    elif tokens.disabled_reason:
        checks.append(
            _error(
                name,
                f"kênh đang tắt: {tokens.disabled_reason}",
                "cấp lại quyền và nạp cặp token mới (TokenStore(path).seed(...))",
            )
        )
    else:
        checks.append(_ok(name, f"{config.token_path}: có cặp token đang dùng được"))
    checks += check_secret_files([(config.token_path, True)])
    return checks


# ---- calendar and plans ------------------------------------------------------------------------


def check_calendar(calendar: WorkingCalendar, *, today: date) -> list[Check]:
    """Reviewed working-day data for this year (error) and the next (warning)."""
    name = "lịch ngày làm việc"
    checks: list[Check] = []
    for year, severity in ((today.year, Severity.error), (today.year + 1, Severity.warning)):
        if calendar.is_verified(year):
            checks.append(_ok(name, f"năm {year}: đã rà soát"))
            continue
        checks.append(
            Check(
                name=name,
                severity=severity,
                detail=f"năm {year}: chưa có dữ liệu đã rà soát (ngày nghỉ, hoán đổi)",
                fix=(
                    f"thêm mục years.{year} (có nguồn văn bản) vào "
                    "calendars/national/working-days.yaml khi Chính phủ công bố lịch nghỉ"
                ),
            )
        )
    return checks


def check_plans(calendars_dir: Path, *, enabled: Iterable[str] = ()) -> list[Check]:
    """Every plan file in ``calendars/`` validates; every enabled plan id exists."""
    name = "kế hoạch"
    files = sorted(calendars_dir.glob("*.yaml"))
    checks: list[Check] = []
    if not files:
        checks.append(
            _warning(name, f"{calendars_dir}: không có tệp kế hoạch", "thêm tệp kế hoạch YAML")
        )
    calendar = default_calendar()
    for path in files:
        result = check_plan_file(path, calendar=calendar)
        if result.ok:
            checks.append(_ok(name, f"{path.name}: hợp lệ"))
            continue
        shown = "; ".join(str(p) for p in result.problems[:3])
        more = f" (và {len(result.problems) - 3} lỗi khác)" if len(result.problems) > 3 else ""
        checks.append(_error(name, f"{shown}{more}", f"sửa tệp rồi chạy `pcmd plan check {path}`"))
    stems = {p.stem for p in files}
    for plan_id in enabled:
        if plan_id not in stems:
            checks.append(
                _error(
                    name,
                    f"PCMD_ENABLED_PLANS nêu «{plan_id}» nhưng không có {plan_id}.yaml",
                    "sửa PCMD_ENABLED_PLANS hoặc thêm tệp kế hoạch",
                )
            )
    return checks


# ---- all together ------------------------------------------------------------------------------


def _settings_or_check() -> tuple[Settings | None, list[Check]]:
    try:
        return get_settings(), []
    except PcmdError as exc:
        return None, [_error("cấu hình", str(exc), "sửa pcmd.toml hoặc biến môi trường PCMD_*")]
    except Exception as exc:  # pydantic ValidationError of a PCMD_* variable
        first = str(exc).strip().splitlines()
        detail = "; ".join(first[:3])
        return None, [_error("cấu hình", detail, "sửa biến môi trường PCMD_* được nêu")]


def run_doctor(
    *,
    clock: Clock,
    settings: Settings | None = None,
    calendar: WorkingCalendar | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> DoctorReport:
    """Every check, in the order an operator would fix them."""
    checks: list[Check] = []
    if settings is None:
        settings, problems = _settings_or_check()
        checks += problems
        if settings is None:
            return DoctorReport(checks=tuple(checks))
    data_dir = settings.data_dir.resolve()
    steps: list[Callable[[], list[Check]]] = [
        lambda: check_data_dir(data_dir),
        lambda: check_database(settings.effective_database_url, timeout=timeout),
        lambda: check_secret_files(_secret_files(settings, data_dir)),
        lambda: check_email(settings.email_url, timeout=timeout),
        lambda: check_zalo(settings.zalo_url, data_dir=data_dir, clock=clock, timeout=timeout),
        lambda: check_calendar(calendar or default_calendar(), today=local_date(clock.now())),
        lambda: check_plans(settings.calendars_dir, enabled=settings.enabled_plans),
    ]
    for step in steps:
        checks += step()
    return DoctorReport(checks=tuple(checks))


def _secret_files(settings: Settings, data_dir: Path) -> list[tuple[Path, bool]]:
    files: list[tuple[Path, bool]] = [
        (data_dir / _SECRET_FILE, True),
        (data_dir / "pcmd.toml", False),
    ]
    if not settings.zalo_url:
        files.append((data_dir / _TOKEN_FILE, True))
    url = make_url(db.normalise_url(settings.effective_database_url))
    if url.get_backend_name() == "sqlite" and url.database:
        files.append((Path(url.database), False))  # contacts of every unit
    return files
