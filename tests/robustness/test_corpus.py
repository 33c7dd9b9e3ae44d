"""The bad-input corpus (corpus/corpus.yaml): every entry is refused with its exact message,
exit code 2 and no traceback, and writes nothing (database rows and data files unchanged)."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fault_support import populate, task_id
from sqlalchemy import MetaData

from pcmd_workflow.cli import main
from pcmd_workflow.domain.plan_loader import load_plan_file
from pcmd_workflow.errors import SubmissionRejected
from pcmd_workflow.services.backup import table_rows
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.web.xlsx_template import read_filled_template

CORPUS = Path(__file__).resolve().parent / "corpus"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "corpus.yaml").read_text("utf-8"))


def _plan_50mb(path: Path) -> None:
    line = "  " + "Kế hoạch phòng, chống mại dâm " * 3 + "\n"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id: plan-50mb\nnote: |\n")
        fh.write(line * (50 * 1024 * 1024 // len(line.encode()) + 1))


def _big_report(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n" + b"\x00" * (3_000_000 - 9))


def _zip_bomb(path: Path) -> None:
    """200 MB of zeros deflated to 200 KB, in the shape of a workbook."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))


def _oversize_xlsx(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + b"\0" * (XLSX_LIMIT - 3))


GENERATORS = {
    "plan-50mb.yaml": _plan_50mb,
    "big-report.pdf": _big_report,
    "zip-bomb.xlsx": _zip_bomb,
    "oversize.xlsx": _oversize_xlsx,
}
XLSX_LIMIT = 10 * 1024 * 1024
LAO_CAI_FORM = load_plan_file(
    Path(__file__).resolve().parents[2] / "calendars" / "lao-cai-142-kh-ubnd-2020.yaml"
).form("bieu-tong-hop-05-nam")


@dataclass
class Store:
    url: str
    data_dir: Path
    ids: dict[str, str]
    tables: MetaData

    def files(self) -> dict[str, bytes]:
        """Every file of the data directory but the database itself."""
        return {
            str(p.relative_to(self.data_dir)): p.read_bytes()
            for p in sorted(self.data_dir.rglob("*"))
            if p.is_file() and not p.name.startswith("store.sqlite3")
        }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One SQLite store for the module, filled by the services (every table has rows)."""
    base = tmp_path_factory.mktemp("corpus")
    data_dir = base / "data"
    url = f"sqlite:///{data_dir / 'store.sqlite3'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PCMD_DATA_DIR", str(data_dir))
        reset_settings()
        engine = db.upgrade(url)
        populate(engine, out_dir=base / "out")
        ids = {
            "task": str(
                task_id(engine, obligation="quarterly", reporter="cong-an-tinh", period="2024-Q1")
            ),
            "file_task": str(
                task_id(engine, obligation="monthly", reporter="cong-an-tinh", period="2024-04")
            ),
        }
        tables = MetaData()
        tables.reflect(bind=engine)
        engine.dispose()
    yield Store(url=url, data_dir=data_dir, ids=ids, tables=tables)


def test_corpus_is_large_and_well_formed() -> None:
    assert len(ENTRIES) >= 40
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)
    for entry in ENTRIES:
        assert set(entry) <= {
            "id", "input", "args", "call", "name", "error", "unchanged", "env", "seconds"
        }  # fmt: skip
        assert ("args" in entry) != ("call" in entry), entry["id"]
        source = entry.get("input", "")
        if source and not source.startswith("generated:"):
            assert (CORPUS / source).is_file(), source
    on_disk = {f"{p.parent.name}/{p.name}" for p in CORPUS.glob("*/*") if p.is_file()}
    used = {e.get("input") for e in ENTRIES}
    assert on_disk <= used | {"files/report.pdf"}, on_disk - used  # every file is an entry


COMMANDS = [e for e in ENTRIES if "args" in e]
CALLS = [e for e in ENTRIES if e.get("call") == "xlsx"]


def _source(entry: dict[str, Any], tmp_path: Path) -> Path:
    source = entry.get("input", "")
    if source.startswith("generated:"):
        name = source.split(":", 1)[1]
        GENERATORS[name](tmp_path / name)
        return tmp_path / name
    return CORPUS / source


@pytest.mark.parametrize("entry", CALLS, ids=[e["id"] for e in CALLS])
def test_bad_upload_is_refused(entry: dict[str, Any], tmp_path: Path) -> None:
    assert LAO_CAI_FORM is not None
    source = _source(entry, tmp_path)
    started = time.perf_counter()
    with pytest.raises(SubmissionRejected) as refused:
        read_filled_template(
            source.read_bytes(),
            form=LAO_CAI_FORM,
            name=entry.get("name", source.name),
            max_bytes=XLSX_LIMIT,
        )
    elapsed = time.perf_counter() - started
    assert "; ".join(refused.value.problems) == entry["error"]
    if "seconds" in entry:
        assert elapsed < entry["seconds"], f"refused after {elapsed:.2f} s"


@pytest.mark.parametrize("entry", COMMANDS, ids=[e["id"] for e in COMMANDS])
def test_bad_input_is_refused_and_writes_nothing(
    entry: dict[str, Any],
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(CORPUS)
    monkeypatch.setenv("PCMD_DATA_DIR", str(store.data_dir))
    monkeypatch.setenv("PCMD_DATABASE_URL", store.url)
    for name, value in (entry.get("env") or {}).items():
        monkeypatch.setenv(f"PCMD_{name.upper()}", value)
    reset_settings()
    source = entry.get("input", "")
    if source.startswith("generated:"):
        source = str(_source(entry, tmp_path))
    args = [a.format(input=source, **store.ids) for a in entry["args"]]

    engine = db.make_engine(store.url)
    rows_before = table_rows(engine, metadata=store.tables)
    files_before = store.files()
    capsys.readouterr()
    started = time.perf_counter()
    code = main(args)
    elapsed = time.perf_counter() - started
    captured = capsys.readouterr()

    assert code == 2, captured.out + captured.err
    assert captured.err.rstrip("\n") == entry["error"].replace("{input}", source)
    assert "Traceback" not in captured.err + captured.out
    if "seconds" in entry:
        assert elapsed < entry["seconds"], f"refused after {elapsed:.2f} s"
    unchanged = set(entry["unchanged"])
    if "db" in unchanged:
        assert table_rows(engine, metadata=store.tables) == rows_before
    if "files" in unchanged:
        assert store.files() == files_before
    engine.dispose()
