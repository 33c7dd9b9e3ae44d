"""The plan loader: every problem of a broken plan with its file, line and field.

``broken/expected.txt`` lists, for every file of ``broken/``, the exact lines ``pcmd plan
check`` must print (checked by hand against each file's line numbers).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pcmd_workflow.domain.plan_loader import (
    MAX_PLAN_BYTES,
    check_plan_bytes,
    check_plan_file,
    load_plan_file,
)
from pcmd_workflow.errors import PlanValidationError

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
VALID = HERE / "valid"
ROOT = HERE.parents[1]
HA_NOI = ROOT / "calendars" / "ha-noi-255-kh-ubnd-2021.yaml"


def expected_lines() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            found.setdefault(line.split(":", 1)[0], []).append(line)
    return found


BROKEN_FILES = sorted(p.name for p in BROKEN.glob("*.yaml"))


def test_every_broken_file_has_expected_lines() -> None:
    expected = expected_lines()
    assert sorted(expected) == BROKEN_FILES
    for kind in (
        "unknown-unit.yaml",
        "unknown-group.yaml",
        "missing-clause.yaml",
        "due-31-2.yaml",
        "validity-end-before-start.yaml",
        "period-end-before-start.yaml",
        "duplicate-ids.yaml",
        "of-which-missing.yaml",
        "yaml-syntax.yaml",
        "wrong-type.yaml",
        "hierarchy-cycle.yaml",
        "due-outside-validity.yaml",
        "not-utf8.yaml",
        "empty.yaml",
    ):
        assert kind in expected


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_broken_file_gives_its_expected_lines(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    result = check_plan_file(name)
    assert result.plan is None
    assert [str(p) for p in result.problems] == expected_lines()[name]


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_load_raises_every_problem(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    with pytest.raises(PlanValidationError) as caught:
        load_plan_file(name)
    assert str(caught.value).splitlines() == expected_lines()[name]


def test_several_problems_are_all_reported_even_when_the_schema_fails() -> None:
    """A wrong type in one unit does not hide an unknown unit or a bad due rule elsewhere."""
    lines = expected_lines()["several-problems.yaml"]
    fields = [line.split(": ")[1] for line in lines]
    assert fields == [
        "units[1].level",
        "obligations[0].reporters[1]",
        "obligations[0].due",
        "obligations[1].clause",
    ]


def test_file_larger_than_the_limit_is_refused_without_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    # Not YAML at all: parsing it would give a syntax error, refusing gives the size.
    big.write_bytes(b"[" * (MAX_PLAN_BYTES + 1))
    started = time.perf_counter()
    result = check_plan_file(big)
    assert time.perf_counter() - started < 1.0
    assert [str(p) for p in result.problems] == [
        f"{big}: file is 5.0 MB; a plan file may be at most 5 MB — not parsed"
    ]
    in_memory = check_plan_bytes(b"#" * (MAX_PLAN_BYTES + 1), name="mem.yaml")
    assert [str(p) for p in in_memory.problems] == [
        "mem.yaml: plan text is larger than 5 MB — not parsed"
    ]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = check_plan_file(tmp_path / "nope.yaml")
    assert [str(p) for p in missing.problems] == [f"{tmp_path / 'nope.yaml'}: file not found"]
    folder = check_plan_file(tmp_path)
    assert [str(p) for p in folder.problems] == [
        f"{tmp_path}: is a directory; expected a plan file (.yaml)"
    ]


def test_yaml_edge_cases_are_located() -> None:
    def lines(text: str) -> list[str]:
        return [str(p) for p in check_plan_bytes(text.encode(), name="x.yaml").problems]

    assert "x.yaml:2: issued: expected a date YYYY-MM-DD, got '2021-13-01'" in lines(
        "id: x\nissued: 2021-13-01\n"
    )
    assert lines("id: x\nid: y\n") == [
        'x.yaml:2: YAML syntax error: found duplicate key "id" with value "y" '
        '(original value: "x") while constructing a mapping'
    ]
    assert lines("a:\n\tb: 1\n") == [
        "x.yaml:2: YAML syntax error: found character '\\t' that cannot start any token "
        "while scanning for the next token"
    ]
    assert lines("just text\n") == [
        "x.yaml:1: expected a mapping of plan fields (id: …, number: …), got 'just text'"
    ]


def test_alias_bomb_is_refused() -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, prev in zip("bcdefg", "abcdef", strict=True):
        rows.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    result = check_plan_bytes("\n".join(rows).encode(), name="bomb.yaml")
    assert [str(p) for p in result.problems] == [
        "bomb.yaml: too many YAML nodes after expanding aliases — not parsed"
    ]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    text = (VALID / "warnings.yaml").read_text(encoding="utf-8")
    target = tmp_path / "warnings.yaml"
    target.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert check_plan_file(target).ok


def test_valid_plan_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(VALID)
    result = check_plan_file("warnings.yaml")
    assert result.ok and result.plan is not None
    assert [str(w) for w in result.warnings] == [
        "warnings.yaml:29: groups[1]: group 'cap-xa' expands to nothing on 2022-01-10 "
        "(no member unit known); its duties create no task until units are listed",
        "warnings.yaml:41: obligations[1]: obligation 'bc-nam-huyen' overlaps 'bc-nam' (V.2): "
        "1 unit(s) owe both (ubnd-huyen-a) with cadence 'annual'; kept as separate duties "
        "(decision Q4)",
        "warnings.yaml:50: obligations[2].cadence: obligation 'thong-ke' is unscheduled: the "
        "plan gives no cadence or day, so no deadline is created; needs a decision (a cadence "
        "and due rule, or keep it tracked only)",
        "warnings.yaml:57: obligations[3].due: cadence 'adhoc' creates no deadline; the due "
        "rule is not used",
        "warnings.yaml:63: obligations[4].cadence: a summary without periods creates no "
        "deadline; expected periods such as ['2021-2025']",
    ]


def test_ha_noi_plan_loads_with_its_expected_warnings() -> None:
    result = check_plan_file(HA_NOI)
    assert result.problems == ()
    plan = result.plan
    assert plan is not None
    assert (plan.id, plan.number, plan.issued.isoformat()) == (
        "ha-noi-255-kh-ubnd-2021",
        "255/KH-UBND",
        "2021-11-16",
    )
    assert (len(plan.units), len(plan.groups), len(plan.obligations), len(plan.targets)) == (
        58,
        6,
        22,
        20,
    )
    empty = sorted(w.message.split("'")[1] for w in result.warnings if "expands to" in w.message)
    assert empty == ["cac-so-nganh-khac", "ubnd-cap-xa"]
    overlaps = sorted(
        tuple(w.message.split("'")[1:4:2]) for w in result.warnings if "overlaps" in w.message
    )
    assert overlaps == [
        ("iv2-4-annual", "v2-annual"),
        ("iv24b-4-annual", "v2-annual"),
        ("iv24b-4-semiannual", "v2-semiannual"),
    ]
    unscheduled = [w.message.split("'")[1] for w in result.warnings if "unscheduled" in w.message]
    assert unscheduled == [
        "iv1a-1-ubnd-tp",
        "iv1a-1-bo-ldtbxh",
        "iv1f-unscheduled",
        "v3-ubnd-tp",
        "v3-trung-uong",
        "iv16-2-unscheduled",
        "iv24c-5-unscheduled",
        "iv24c-6-unscheduled",
    ]


def test_ha_noi_obligations_one_cadence_each_and_ids() -> None:
    plan = load_plan_file(HA_NOI)
    cadences = {o.id: str(o.cadence) for o in plan.obligations}
    assert cadences == {
        "v2-semiannual": "semiannual",
        "v2-annual": "annual",
        "v2-summary": "summary",
        "iv2-4-flash": "flash",
        "iv2-4-monthly": "monthly",
        "iv2-4-quarterly": "quarterly",
        "iv2-4-annual": "annual",
        "iv24b-4-adhoc": "adhoc",
        "iv24b-4-monthly": "monthly",
        "iv24b-4-quarterly": "quarterly",
        "iv24b-4-semiannual": "semiannual",
        "iv24b-4-annual": "annual",
        "iv1a-1-ubnd-tp": "unscheduled",
        "iv1a-1-bo-ldtbxh": "unscheduled",
        "iv1a-6-interim": "summary",
        "iv1a-6-summary": "summary",
        "iv1f-unscheduled": "unscheduled",
        "v3-ubnd-tp": "unscheduled",
        "v3-trung-uong": "unscheduled",
        "iv16-2-unscheduled": "unscheduled",
        "iv24c-5-unscheduled": "unscheduled",
        "iv24c-6-unscheduled": "unscheduled",
    }
    rules = {o.id: (o.due, o.due_source) for o in plan.obligations if o.due}
    assert rules == {
        "v2-semiannual": ("before 17/6", "plan"),
        "v2-annual": ("before 17/12", "plan"),
        "v2-summary": ("before 17/12", "default"),
        "iv2-4-annual": ("before 17/12", "default"),
        "iv24b-4-semiannual": ("before 17/6", "default"),
        "iv24b-4-annual": ("before 17/12", "default"),
        "iv1a-6-interim": ("before 17/12", "default"),
        "iv1a-6-summary": ("before 17/12", "default"),
    }


def test_ha_noi_targets() -> None:
    """T001-01…14 with the comparators of decision Q19 («ít nhất» ≥, «trên» >, bare % ≥)."""
    plan = load_plan_file(HA_NOI)
    got = {t.id: (t.metric, t.comparator, t.value, t.value_max) for t in plan.targets}
    assert got == {
        "t001-01": ("percent", ">=", 70, None),
        "t001-02": ("frequency", ">=", 1, None),
        "t001-03a": ("percent", ">=", 70, None),
        "t001-03b": ("percent", ">=", 60, None),
        "t001-03c": ("percent", ">=", 70, None),
        "t001-04a": ("percent", ">=", 100, None),
        "t001-04b": ("percent", ">=", 100, None),
        "t001-05": ("percent", ">=", 100, None),
        "t001-06": ("percent", ">=", 50, None),
        "t001-07": ("percent", ">=", 100, None),
        "t001-08": ("increase_rate", "range", 3, 5),
        "t001-09a": ("percent", ">=", 100, None),
        "t001-09b": ("zero_count", "=", 0, None),
        "t001-09c": ("zero_count", "=", 0, None),
        "t001-10": ("percent", ">", 60, None),
        "t001-11": ("percent", ">=", 10, None),
        "t001-12": ("percent", ">=", 60, None),
        "t001-13a": ("percent", ">=", 70, None),
        "t001-13b": ("percent", ">=", 50, None),
        "t001-14": ("percent", ">=", 100, None),
    }
    for target in plan.targets:
        assert target.responsible, target.id
        if target.metric == "percent":
            assert target.numerator and target.denominator, target.id


def test_ha_noi_districts_are_marked_outside_the_seeds() -> None:
    plan = load_plan_file(HA_NOI)
    districts = [u for u in plan.units if u.level == "district"]
    assert len(districts) == 30
    assert all(u.outside_seeds and u.active_until is not None for u in districts)
    assert {u.active_until.isoformat() for u in districts if u.active_until} == {"2025-06-30"}
    text = HA_NOI.read_text(encoding="utf-8")
    for unit in districts:
        line = next(line for line in text.splitlines() if f"slug: {unit.slug}," in line)
        assert line.endswith("# outside the seeds"), unit.slug
