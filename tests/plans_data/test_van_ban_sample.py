"""The Văn Bàn 2023 sample submission (seed 003 figures on the Lào Cai five-year form)."""

from __future__ import annotations

from typing import Any

import pytest
from plans_data_support import CALENDARS, FORM_ID, LAO_CAI, load, read_yaml, seed_text

from pcmd_workflow.domain.form_values import check_values, values_of_document

SAMPLE = CALENDARS / "samples" / "van-ban-2023.yaml"

#: DOMAIN §6.1, worked by hand: N1-N9 on the form rows (N10 and the 22-commune total unmapped).
EXPECTED_VALUES = {
    "B.1.1.a": 44,
    "B.1.1.a.1": 24,
    "B.1.1.a.2": 20,
    "B.1.1.a.3": 0,
    "B.1.1.a.4": 0,
    "B.1.1.b": 44,
    "B.2.1bis.a": 12,
    "B.2.1bis.b": 900,
    "B.2.1bis.c": 24,
    "B.2.2.b": 0,
    "B.2.3.d": 0,
    "B.2.3.e": 0,
    "B.2.4.a.1": 0,
    "B.2.4.a.2": 0,
    "B.2.4.b.1": 0,
    "B.2.4.b.2": 0,
    "B.2.4.c.1": 0,
    "B.2.4.c.2": 0,
    "B.2.6": 22,
}
EXPECTED_BASIS = {
    "stated": {"B.1.1.a", "B.1.1.a.1", "B.1.1.a.2", "B.1.1.b", "B.2.6"},
    "lower_bound": {"B.2.1bis.a", "B.2.1bis.b"},
    "partial": {"B.2.1bis.c"},
    "derived": {"B.1.1.a.3", "B.1.1.a.4"},
    "inferred": {
        "B.2.2.b",
        "B.2.3.d",
        "B.2.3.e",
        "B.2.4.a.1",
        "B.2.4.a.2",
        "B.2.4.b.1",
        "B.2.4.b.2",
        "B.2.4.c.1",
        "B.2.4.c.2",
    },
}


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    document = read_yaml(SAMPLE)
    assert isinstance(document, dict)
    return document


def test_sample_names_its_plan_form_reporter_and_source(sample: dict[str, Any]) -> None:
    plan = load(LAO_CAI)
    assert (sample["plan"], sample["form"], sample["period"]) == (LAO_CAI, FORM_ID, "2023")
    assert plan.form(sample["form"]) is not None
    assert plan.unit(sample["reporter"]) is not None
    assert sample["reporter"] == "ubnd-huyen-van-ban"
    assert sample["source"] == "003_b6a454fc1ed99ded.txt"


def test_values_are_the_hand_mapped_figures(sample: dict[str, Any]) -> None:
    assert sample["values"] == EXPECTED_VALUES


def test_values_pass_the_form_checks(sample: dict[str, Any]) -> None:
    """What `pcmd submit --values` does: every key a value row, of-which ≤ parent, sums."""
    form = load(LAO_CAI).form(FORM_ID)
    values, problems, notices = values_of_document(sample)
    assert problems == []
    assert any("unmapped" in n for n in notices)  # ignored with a notice
    checked = check_values(form, values)
    assert checked.problems == []
    assert checked.warnings == []  # B.1.1.a = 24 + 20 + 0 + 0
    assert checked.values == EXPECTED_VALUES


def test_every_value_has_verbatim_evidence(sample: dict[str, Any]) -> None:
    text = seed_text(sample["source"])
    evidence = sample["evidence"]
    assert set(evidence) == set(sample["values"])
    assert [row for row, e in evidence.items() if e["phrase"] not in text] == []
    by_basis: dict[str, set[str]] = {}
    for row, e in evidence.items():
        by_basis.setdefault(e["basis"], set()).add(row)
    assert by_basis == EXPECTED_BASIS
    for row in EXPECTED_BASIS["lower_bound"]:
        assert "trên" in evidence[row]["phrase"] and evidence[row]["note"]


def test_unmapped_figures_are_kept_with_a_note(sample: dict[str, Any]) -> None:
    text = seed_text(sample["source"])
    unmapped = sample["unmapped"]
    assert [(u["value"], u["phrase"] in text, bool(u["note"])) for u in unmapped] == [
        (22, True, True),
        (100, True, True),
    ]
