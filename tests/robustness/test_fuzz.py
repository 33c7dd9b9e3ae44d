"""Fuzzing with Hypothesis, bounded for CI: the plan loader and the values-file reader answer
any bytes with located problems or a PcmdError subclass, never another exception.

Inputs are mutations of a valid plan (bytes flipped, cut, spliced, keys and values replaced
by YAML fragments of any type) and raw byte strings. Each test runs a fixed number of
examples with a per-example deadline (together well under 60 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcmd_workflow.domain.form_values import check_values
from pcmd_workflow.domain.plan_loader import check_plan_bytes, load_plan_file
from pcmd_workflow.errors import PcmdError
from pcmd_workflow.services.submissions import read_values_file

CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = (CORPUS / "tinh-mau-9-kh-ubnd-2024.yaml").read_bytes()
BASE_LINES = BASE.decode("utf-8").splitlines(keepends=True)
#: the quarterly form of the store tests' plan: counts, of-which rows, percent, boolean, amount
FORM = load_plan_file(
    Path(__file__).resolve().parents[1] / "store" / "plans" / "thu-nghiem-1-kh-ubnd-2024.yaml"
).form("bieu-quy")
FUZZ = settings(
    max_examples=150,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["2024-02-30", "2023-02-29", "before 31/2", "fixed 2100-01-01", "&a", "*a", "!!python/obj",
         "[", "{", "'", '"', ":", "- ", "? ", "%TAG", "\t", "\x00", "<script>", ".nan", "1e309"]
    ),
)  # fmt: skip


def _yaml_scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@st.composite
def mutated_plans(draw: st.DrawFn) -> bytes:
    lines = list(BASE_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["value", "drop", "dup", "cut", "indent"]))
        line = lines[i]
        if action == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = f"{key}: {_yaml_scalar(draw(_scalars))}\n"
        elif action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, line)
        elif action == "cut":
            lines[i] = line[: draw(st.integers(min_value=0, max_value=len(line)))]
        elif action == "indent":
            lines[i] = " " * draw(st.integers(min_value=0, max_value=6)) + line.lstrip()
        if not lines:
            break
    data = "".join(lines).encode("utf-8")
    if draw(st.booleans()):
        pos = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        data = data[:pos] + draw(st.binary(max_size=8)) + data[pos + 1 :]
    return data


def _check(data: bytes) -> None:
    try:
        result = check_plan_bytes(data, name="fuzz.yaml", stem="tinh-mau-9-kh-ubnd-2024")
    except PcmdError:
        return
    if result.plan is None:
        assert result.problems, "a refused plan names at least one problem"
    for problem in result.problems:
        assert str(problem).startswith("fuzz.yaml"), problem


@FUZZ
@given(mutated_plans())
def test_plan_loader_mutations(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.binary(max_size=2000))
def test_plan_loader_raw_bytes(data: bytes) -> None:
    _check(data)


@settings(FUZZ, max_examples=100)
@given(
    document=st.recursive(
        _scalars | st.sampled_from(["A.1", "A.1.1", "A.1.2", "A.2", "A.3", "A.4", "Z"]),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["A.1", "A.1.1", "A.1.2", "A.2", "A.3", "A.4", "A", "Z.9"])
                | st.text(max_size=6),
                children,
                max_size=5,
            )
        ),
        max_leaves=12,
    ),
    suffix=st.sampled_from([".json", ".yaml"]),
)
def test_values_reader_any_document(
    document: object, suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"values{suffix}"
    text = json.dumps({"values": document}) if suffix == ".json" else f"values: {document!r}\n"
    path.write_text(text, encoding="utf-8")
    try:
        values, problems, _notices = read_values_file(path)
    except PcmdError:
        return
    assert isinstance(values, dict)
    assert all(isinstance(p, str) for p in problems)
    checked = check_values(FORM, values)  # figures of any shape against a real form
    assert all(isinstance(p, str) for p in checked.problems)
