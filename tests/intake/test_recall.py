"""Recall of the drafts against the reviewed plan files in calendars/ (read when present).

A reviewed obligation is found when a drafted one has the same cadence and a clause that
overlaps it (most words of the shorter clause appear in the longer); a reviewed target is
found when a drafted target's text overlaps its text. Recall per category is printed; the
floors are what the drafts reach on the seeds today, so a regression fails. The dated due
clauses are enforced separately from literal answers (test_seeds.py), so this test never
depends on which plan files exist yet.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pcmd_workflow.intake import build_draft, fold, read_document

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
CALENDARS = ROOT / "calendars"

#: minimum recall per category over all reviewed plan files (measured, then rounded down)
FLOORS = {"obligations": 0.85, "targets": 0.85, "dated": 1.0}


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(text)))


def overlaps(a: str, b: str, *, threshold: float = 0.6) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) >= threshold


def _reviewed() -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(CALENDARS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("source"):
            out.append((path, data))
    return out


def test_recall_against_reviewed_plans() -> None:
    reviewed = _reviewed()
    if not reviewed:
        pytest.skip("no reviewed plan files in calendars/ yet")
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents absent ({SEEDS})")
    totals = {k: [0, 0] for k in FLOORS}
    missed: list[str] = []
    for path, plan in reviewed:
        seed = SEEDS / str(plan["source"])
        if not seed.exists():
            continue
        draft = build_draft(read_document(seed))
        for ob in plan.get("obligations") or []:
            hit = any(
                d.cadence.value == ob["cadence"] and overlaps(d.clause, ob["clause"])
                for d in draft.obligations
            )
            totals["obligations"][0] += hit
            totals["obligations"][1] += 1
            if (
                ob.get("due")
                and re.search(r"\d/\d", str(ob["due"]))
                and ob.get("due_source") != "default"
            ):
                totals["dated"][0] += hit
                totals["dated"][1] += 1
            if not hit:
                missed.append(
                    f"{path.name}: obligation {ob['id']} ({ob['cadence']}, {ob['where']})"
                )
        for target in plan.get("targets") or []:
            hit = any(overlaps(t.text, target["text"]) for t in draft.targets)
            totals["targets"][0] += hit
            totals["targets"][1] += 1
            if not hit:
                missed.append(f"{path.name}: target {target['id']} ({target['where']})")
    print()
    for category, (found, total) in totals.items():
        share = found / total if total else 1.0
        print(f"recall {category}: {found}/{total} = {share:.2f} (floor {FLOORS[category]})")
    for line in missed:
        print("  missed:", line)
    for category, (found, total) in totals.items():
        if total:
            assert found / total >= FLOORS[category], f"{category} recall below its floor"


def test_overlap_measure() -> None:
    assert overlaps(
        "định kỳ 6 tháng (trước ngày 17/6)", "Định kỳ 6 tháng (trước ngày 17/6), 01 năm"
    )
    assert not overlaps("Ít nhất 70% số xã", "tổng hợp báo cáo gửi Sở Tài chính về kinh phí")
