"""Speed of the compilation: the national roll-up and one province's documents.

1. National roll-up: 34 provinces × 100 communes × 80 indicators (~270 000 values) compiled
   by :func:`pcmd_workflow.domain.indicators.rollup` (with the «Trong đó» and partition
   checks, provenance, percent recomputation, yes/no counts) plus the targets, against a
   plain SQL ``GROUP BY`` over the same values in SQLite (sums per province and nation,
   nothing else) in the same run. Target: under 3 s.
2. One province's outputs: XLSX (one sheet per level) + DOCX for the Lào Cai five-year form
   (95 rows, nine districts) and for a synthetic province of 100 communes. Target: under 1 s.

Run: ``.venv/bin/python benchmarks/compile_rollup.py`` (prints figures; not a test).
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pcmd_workflow.domain.indicators import (  # noqa: E402
    TaskEntry,
    UnitValues,
    evaluate_targets,
    rollup,
    rollup_tree,
)
from pcmd_workflow.domain.plan import Plan  # noqa: E402
from pcmd_workflow.domain.plan_loader import load_plan_file  # noqa: E402
from pcmd_workflow.services.compile import build_report, write_docx, write_xlsx  # noqa: E402

PROVINCES, COMMUNES, INDICATORS = 34, 100, 80
ROUNDS = 3


def best(action: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``ROUNDS`` runs (after one warm-up run); CPU time in ``CPU``."""
    result = action()
    times, cpu = [], []
    for _ in range(ROUNDS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[action] = min(cpu)
    return min(times), result


CPU: dict[Any, float] = {}


def cpu_of(action: Callable[[], Any]) -> str:
    return f"cpu {CPU[action]:.3f} s"


def national_form() -> list[dict[str, Any]]:
    """80 value rows: 20 totals each with 2 «Trong đó» parts (one a partition), 10 amounts,
    5 percents recomputed from a count pair, 5 yes/no."""
    rows: list[dict[str, Any]] = [{"id": "B", "label": "KẾT QUẢ", "kind": "heading"}]
    for i in range(1, 21):
        rows.append(
            {"id": f"B.{i}", "label": f"Tổng {i}", "unit": "Người", "partition": i % 2 == 0}
        )
        rows.append(
            {"id": f"B.{i}.1", "label": f"Trong đó {i}.1", "unit": "Người", "of_which": f"B.{i}"}
        )
        rows.append(
            {"id": f"B.{i}.2", "label": f"Trong đó {i}.2", "unit": "Người", "of_which": f"B.{i}"}
        )
    for i in range(1, 11):
        rows.append(
            {"id": f"C.{i}", "label": f"Kinh phí {i}", "unit": "Triệu đồng", "kind": "amount"}
        )
    for i in range(1, 6):
        rows.append(
            {
                "id": f"D.{i}",
                "label": f"Tỷ lệ {i}",
                "unit": "%",
                "kind": "percent",
                "numerator": f"B.{i}.1",
                "denominator": f"B.{i}",
            }
        )
    for i in range(1, 6):
        rows.append({"id": f"E.{i}", "label": f"Có hay không {i}", "kind": "boolean"})
    return rows


def national_plan() -> Plan:
    units: list[dict[str, Any]] = [{"slug": "ca-nuoc", "name": "Toàn quốc", "level": "central"}]
    for p in range(PROVINCES):
        units.append(
            {"slug": f"tinh-{p}", "name": f"Tỉnh {p}", "level": "province", "parent": "ca-nuoc"}
        )
        for c in range(COMMUNES):
            units.append(
                {
                    "slug": f"xa-{p}-{c}",
                    "name": f"Xã {p}-{c}",
                    "level": "commune",
                    "parent": f"tinh-{p}",
                }
            )
    return Plan.model_validate(
        {
            "id": "quoc-gia-1-kh-ubnd-2025",
            "number": "1/KH-UBND",
            "type": "Kế hoạch",
            "title": "Tổng hợp toàn quốc (số liệu tổng hợp giả lập)",
            "issuer": "Bộ Y tế",
            "issued": "2025-07-01",
            "jurisdiction": "ca-nuoc",
            "validity": {"start": "2025-07-01"},
            "units": units,
            "forms": [{"id": "bieu", "title": "BIỂU TỔNG HỢP", "rows": national_form()}],
            "obligations": [
                {
                    "id": "bao-cao",
                    "reporters": ["ca-nuoc"],
                    "recipient": "ca-nuoc",
                    "cadence": "annual",
                    "form": "bieu",
                    "clause": "Báo cáo năm (giả lập)",
                    "where": "I",
                }
            ],
            "targets": [
                {
                    "id": "t-1",
                    "text": "Trên 60%",
                    "where": "I",
                    "metric": "percent",
                    "comparator": ">",
                    "value": 60,
                    "indicator": {"form": "bieu", "numerator": "B.1.1", "denominator": "B.1"},
                }
            ],
        }
    )


def commune_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i in range(1, 21):
        total = rng.randint(10, 200)
        first = rng.randint(0, total)
        values[f"B.{i}"] = total
        values[f"B.{i}.1"] = first
        values[f"B.{i}.2"] = total - first
    for i in range(1, 11):
        values[f"C.{i}"] = round(rng.uniform(0, 500), 2)
    for i in range(1, 6):
        values[f"D.{i}"] = round(rng.uniform(0, 100), 1)
        values[f"E.{i}"] = rng.random() < 0.7
    return values


def national() -> None:
    plan = national_plan()
    form = plan.form("bieu")
    assert form is not None
    rng = random.Random(2025)
    reporters = [u.slug for u in plan.units if u.level.value == "commune"]
    submissions = [UnitValues(unit=slug, values=commune_values(rng)) for slug in reporters]
    n_values = sum(len(s.values) for s in submissions)

    def compile_all() -> Any:
        tree = rollup_tree(plan, reporters=reporters, on=date(2025, 12, 14))
        compiled = rollup(form=form, tree=tree, submissions=submissions, reporters=reporters)
        evaluate_targets(targets=plan.targets, form=form, totals=compiled.root_totals)
        return compiled

    elapsed, compiled = best(compile_all)
    json_elapsed, _ = best(compiled.to_dict)

    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE v (province TEXT, unit TEXT, row TEXT, value REAL)")
    con.executemany(
        "INSERT INTO v VALUES (?, ?, ?, ?)",
        (
            (s.unit.rsplit("-", 1)[0].replace("xa-", "tinh-"), s.unit, row, float(value))
            for s in submissions
            for row, value in s.values.items()
        ),
    )
    con.commit()

    def group_by() -> Any:
        per_province = con.execute(
            "SELECT province, row, SUM(value) FROM v GROUP BY province, row"
        ).fetchall()
        per_nation = con.execute("SELECT row, SUM(value) FROM v GROUP BY row").fetchall()
        return per_province, per_nation

    sql_elapsed, (per_province, _) = best(group_by)
    check = dict(((p, r), v) for p, r, v in per_province)
    assert abs(check[("tinh-0", "B.1")] - compiled.nodes["tinh-0"].rows["B.1"].value) < 1e-6
    load = os.getloadavg()[0]
    print(f"national roll-up: {PROVINCES} provinces x {COMMUNES} communes x {INDICATORS} rows")
    print(
        f"  machine load average   {load:.1f} on {os.cpu_count()} cores (wall times suffer above 1)"
    )
    print(f"  values compiled        {n_values:,}")
    print(f"  rollup + targets       {elapsed:.3f} s  ({cpu_of(compile_all)})   target < 3 s")
    print(f"  SQL GROUP BY baseline  {sql_elapsed:.3f} s  ({cpu_of(group_by)})   SQLite, sums only")
    print(
        f"  ratio rollup / SQL     {elapsed / sql_elapsed:.1f}x wall, "
        f"{CPU[compile_all] / CPU[group_by]:.1f}x cpu"
    )
    print(f"  JSON-ready export      {json_elapsed:.3f} s  ({cpu_of(compiled.to_dict)})")


def outputs() -> None:
    plan = load_plan_file(ROOT / "calendars" / "lao-cai-142-kh-ubnd-2020.yaml")
    form = plan.form("bieu-tong-hop-05-nam")
    assert form is not None
    rng = random.Random(7)
    districts = [u for u in plan.units if u.level.value == "district"]
    submissions = []
    for u in districts:
        values: dict[str, Any] = {}
        for row in form.rows:
            if row.kind.value in ("count", "amount") and row.of_which is None:
                values[row.id] = rng.randint(0, 300)
            elif row.kind.value == "boolean":
                values[row.id] = rng.random() < 0.6
        submissions.append(UnitValues(unit=u.slug, values=values))
    entries = [TaskEntry(unit=u.slug, name=u.name, status="submitted_on_time") for u in districts]
    report = build_report(
        plan=plan,
        obligation="iii2-summary",
        period="2016-2020",
        entries=entries,
        submissions=submissions,
        as_of=datetime(2020, 7, 10, tzinfo=UTC),
    )
    whole = national_plan()
    communes = [u for u in whole.units if u.parent == "tinh-0"]
    rng = random.Random(11)
    synthetic = build_report(
        plan=whole,
        obligation="bao-cao",
        period="2025",
        entries=[TaskEntry(unit=u.slug, name=u.name, status="submitted_on_time") for u in communes],
        submissions=[UnitValues(unit=u.slug, values=commune_values(rng)) for u in communes],
        as_of=datetime(2025, 12, 20, tzinfo=UTC),
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for label, rep in (("Lào Cai form, 9 districts", report), ("100 communes", synthetic)):

            def both(rep: Any = rep) -> None:
                write_xlsx(rep, out / "r.xlsx")
                write_docx(rep, out / "r.docx")

            def xlsx(rep: Any = rep) -> None:
                write_xlsx(rep, out / "r.xlsx")

            def docx(rep: Any = rep) -> None:
                write_docx(rep, out / "r.docx")

            xlsx_t, _ = best(xlsx)
            docx_t, _ = best(docx)
            total, _ = best(both)
            sheets = len(rep.sheet_nodes())
            print(f"one province ({label}, {sheets} sheet(s), {len(rep.form.rows)} rows)")
            print(
                f"  XLSX {xlsx_t:.3f} s + DOCX {docx_t:.3f} s; both {total:.3f} s "
                f"({cpu_of(both)})   target < 1 s"
            )


if __name__ == "__main__":
    national()
    outputs()
