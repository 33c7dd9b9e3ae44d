"""``pcmd doctor``: exit 0 when the installation is ready, 2 with one fix per problem.

Each problem is made for real (a schema behind head, a secret file readable by others, an
SMTP server that is down, a disabled Zalo token pair, a year without reviewed calendar data,
a broken plan) and the expected line is literal.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakes.smtp_server import SmtpServer, free_port
from fakes.zalo_server import FakeZaloServer, zalo_url
from fault_support import drop_pg_database, fresh_pg_database, local, postgres_url

from pcmd_workflow.channels import TokenStore
from pcmd_workflow.cli import main
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db

CALENDARS = Path(__file__).resolve().parents[2] / "calendars"
HEAD = db.head_revision()


@dataclass
class Install:
    data: Path
    calendars: Path
    smtp: SmtpServer
    zalo: FakeZaloServer
    token_path: Path
    monkeypatch: pytest.MonkeyPatch

    def set(self, **env: str) -> None:
        for name, value in env.items():
            self.monkeypatch.setenv(f"PCMD_{name.upper()}", value)
        reset_settings()

    def doctor(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
        code = main(["doctor", "--as-of", "2025-06-02", "--timeout", "2", *args])
        out = capsys.readouterr().out
        return code, out.splitlines()


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """A healthy installation: data dir 0700, schema at head, e-mail and Zalo reachable."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    calendars = tmp_path / "calendars"
    calendars.mkdir()
    shutil.copy(CALENDARS / "ha-noi-255-kh-ubnd-2021.yaml", calendars)
    smtp = SmtpServer().start()
    zalo = FakeZaloServer().start()
    token_path = data / "zalo-tokens.json"
    access, refresh = zalo.issue_tokens()
    TokenStore(token_path).seed(
        access_token=access,
        refresh_token=refresh,
        expires_in=90000,
        now=local("2025-06-02T07:00:00"),
    )
    setup = Install(
        data=data,
        calendars=calendars,
        smtp=smtp,
        zalo=zalo,
        token_path=token_path,
        monkeypatch=monkeypatch,
    )
    setup.set(
        data_dir=str(data),
        calendars_dir=str(calendars),
        email_url=smtp.url(),
        zalo_url=zalo_url(zalo, token_path),
    )
    db.upgrade(f"sqlite:///{data / 'pcmd.sqlite3'}").dispose()
    try:
        yield setup
    finally:
        smtp.stop()
        zalo.stop()


def test_all_well_exits_0(install: Install, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = install.doctor(capsys)
    assert code == 0, "\n".join(lines)
    data = install.data.resolve()
    base = install.zalo.base_url.split("//", 1)[1]
    assert lines == [
        f"[OK] thư mục dữ liệu: {data}: ghi được",
        f"[OK] cơ sở dữ liệu: sqlite:///{data}/pcmd.sqlite3: kết nối được, lược đồ ở phiên bản "
        f"mới nhất {HEAD}",
        f"[OK] quyền tệp bí mật: {data}/pcmd.sqlite3: quyền 644",
        f"[OK] kênh e-mail: máy chủ SMTP 127.0.0.1:{install.smtp.port} (insecure) trả lời",
        f"[OK] kênh Zalo: {base}: trả lời (HTTP 404)",
        f"[OK] kênh Zalo: {install.token_path}: có cặp token đang dùng được",
        f"[OK] quyền tệp bí mật: {install.token_path}: quyền 600",
        "[OK] lịch ngày làm việc: năm 2025: đã rà soát",
        "[OK] lịch ngày làm việc: năm 2026: đã rà soát",
        "[OK] kế hoạch: ha-noi-255-kh-ubnd-2021.yaml: hợp lệ",
    ]


def test_every_problem_named_with_its_fix(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    data = install.data.resolve()
    # schema behind head
    db.downgrade(f"sqlite:///{data / 'pcmd.sqlite3'}", "0003_compilations").dispose()
    # a signing key readable by the group, settings readable by everyone
    (data / "secret.key").write_text("k" * 48, encoding="ascii")
    (data / "secret.key").chmod(0o640)
    (data / "pcmd.toml").write_text('portal_url = "https://baocao.example.vn"\n')
    (data / "pcmd.toml").chmod(0o644)
    install.data.chmod(0o755)
    # SMTP down, Zalo token pair disabled
    install.smtp.stop()
    store = TokenStore(install.token_path)
    tokens = store.load()
    assert tokens is not None
    store.save(tokens.disable("refresh token bị từ chối (-14014)"))
    # a broken plan next to the good one, an enabled plan that does not exist
    (install.calendars / "tinh-hong-1-kh-ubnd-2024.yaml").write_text(
        "id: tinh-hong-1-kh-ubnd-2024\nnumber: [1\n", encoding="utf-8"
    )
    install.set(enabled_plans='["khong-co-2-kh-ubnd-2024"]')

    code, lines = install.doctor(capsys)
    assert code == 2
    problems = [line for line in lines if not line.startswith("[OK]")]
    assert problems == [
        f"[LỖI] cơ sở dữ liệu: sqlite:///{data}/pcmd.sqlite3: lược đồ ở phiên bản "
        f"0003_compilations, cần {HEAD} → cách sửa: chạy `pcmd db upgrade` (sao lưu trước bằng "
        "`pcmd backup --out FILE`)",
        f"[LỖI] quyền tệp bí mật: {data}/secret.key: quyền 640 cho người khác đọc được "
        f"→ cách sửa: chmod 600 {data}/secret.key",
        f"[LỖI] quyền tệp bí mật: {data}/pcmd.toml: quyền 644 cho người khác đọc được "
        f"→ cách sửa: chmod o-rwx {data}/pcmd.toml",
        f"[LỖI] quyền tệp bí mật: {data}/pcmd.sqlite3: quyền 644 cho người khác đọc được "
        f"→ cách sửa: chmod o-rwx {data}/pcmd.sqlite3",
        f"[LỖI] kênh e-mail: máy chủ SMTP 127.0.0.1:{install.smtp.port} (insecure) không trả "
        "lời (ConnectionRefusedError: [Errno 111] Connection refused) → cách sửa: kiểm tra máy "
        "chủ SMTP, cổng và tường lửa, hoặc sửa PCMD_EMAIL_URL",
        "[LỖI] kênh Zalo: kênh đang tắt: refresh token bị từ chối (-14014) → cách sửa: cấp lại "
        "quyền và nạp cặp token mới (TokenStore(path).seed(...))",
        f"[LỖI] kế hoạch: {install.calendars}/tinh-hong-1-kh-ubnd-2024.yaml:3: YAML syntax "
        "error: expected ',' or ']', but got '<stream end>' while parsing a flow sequence → "
        f"cách sửa: sửa tệp rồi chạy `pcmd plan check {install.calendars}/"
        "tinh-hong-1-kh-ubnd-2024.yaml`",
        "[LỖI] kế hoạch: PCMD_ENABLED_PLANS nêu «khong-co-2-kh-ubnd-2024» nhưng không có "
        "khong-co-2-kh-ubnd-2024.yaml → cách sửa: sửa PCMD_ENABLED_PLANS hoặc thêm tệp kế hoạch",
    ]


def test_calendar_years_and_missing_pieces(
    install: Install, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A current year without reviewed data fails; the next year only warns."""
    code, lines = install.doctor(capsys, "--as-of", "2026-12-01")
    assert code == 0
    assert (
        "[CẢNH BÁO] lịch ngày làm việc: năm 2027: chưa có dữ liệu đã rà soát (ngày nghỉ, hoán "
        "đổi) → cách sửa: thêm mục years.2027 (có nguồn văn bản) vào "
        "calendars/national/working-days.yaml khi Chính phủ công bố lịch nghỉ"
    ) in lines
    code, lines = install.doctor(capsys, "--as-of", "2027-01-04")
    assert code == 2
    assert next(line for line in lines if "lịch" in line).startswith(
        "[LỖI] lịch ngày làm việc: năm 2027: chưa có dữ liệu đã rà soát"
    )

    # no data dir, no database, no channels configured
    install.monkeypatch.delenv("PCMD_EMAIL_URL")
    install.monkeypatch.delenv("PCMD_ZALO_URL")
    install.set(data_dir=str(tmp_path / "nowhere"))
    code, lines = install.doctor(capsys)
    assert code == 2
    nowhere = (tmp_path / "nowhere").resolve()
    assert lines[:4] == [
        f"[LỖI] thư mục dữ liệu: {nowhere} chưa tồn tại → cách sửa: tạo thư mục: mkdir -p "
        f"{nowhere} (hoặc chạy `pcmd db upgrade`)",
        f"[LỖI] cơ sở dữ liệu: sqlite:///{nowhere}/pcmd.sqlite3: tệp cơ sở dữ liệu chưa tồn tại "
        "→ cách sửa: chạy `pcmd db upgrade` để tạo lược đồ",
        "[CẢNH BÁO] kênh e-mail: chưa cấu hình (thông báo e-mail ghi vào tệp sink cục bộ) → "
        "cách sửa: đặt PCMD_EMAIL_URL=mailto://user:pass@smtp.host:587?from=...&mode=starttls",
        "[OK] kênh Zalo: không dùng (chưa cấu hình PCMD_ZALO_URL)",
    ]
    assert not (tmp_path / "nowhere").exists()  # the doctor creates nothing


def test_postgres_reachable_and_unreachable(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_pg_database(postgres_url())
    try:
        install.set(database_url=url)
        code, lines = install.doctor(capsys, "--format", "json")
        assert code == 2  # empty database: no schema yet
        db.upgrade(url).dispose()
        code, lines = install.doctor(capsys)
        assert code == 0, "\n".join(lines)
        shown = url.replace("postgresql+psycopg://", "")
        assert f"[OK] cơ sở dữ liệu: postgresql+psycopg://{shown}: kết nối được, lược đồ ở " \
            f"phiên bản mới nhất {HEAD}" in lines  # fmt: skip
    finally:
        drop_pg_database(url)
    install.set(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/pcmd")
    code, lines = install.doctor(capsys)
    assert code == 2
    db_line = next(line for line in lines if "cơ sở dữ liệu" in line)
    assert db_line.startswith("[LỖI] cơ sở dữ liệu: postgresql+psycopg://postgres@127.0.0.1:")
    assert db_line.endswith(
        "→ cách sửa: kiểm tra máy chủ cơ sở dữ liệu đang chạy và PCMD_DATABASE_URL"
    )
