"""The agency-name gazetteer (calendars/national/gazetteer.yaml) read by the plan-drafting tool."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from plans_data_support import CALENDARS, PLAN_IDS, load, read_yaml

from pcmd_workflow.domain.plan import SLUG_RE, Level

GAZETTEER = CALENDARS / "national" / "gazetteer.yaml"
KEYS = {"slug", "level", "names", "abbreviations", "group"}


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


@pytest.fixture(scope="module")
def entries() -> list[dict[str, Any]]:
    data = read_yaml(GAZETTEER)
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def index(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_key(n): e for e in entries for n in (*e["names"], *e["abbreviations"])}


def test_entries_have_the_agreed_shape(entries: list[dict[str, Any]]) -> None:
    levels = {level.value for level in Level}
    for entry in entries:
        assert set(entry) == KEYS, entry
        assert SLUG_RE.match(entry["slug"]), entry["slug"]
        assert entry["level"] in levels, entry["slug"]
        assert entry["names"], entry["slug"]
        assert isinstance(entry["group"], bool)
        assert all(isinstance(n, str) and n.strip() == n and n for n in entry["names"])
        assert all(isinstance(a, str) and a for a in entry["abbreviations"])
    slugs = [e["slug"] for e in entries]
    assert len(slugs) == len(set(slugs))


def test_no_name_points_to_two_entries(entries: list[dict[str, Any]]) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for entry in entries:
        for name in {_key(n) for n in (*entry["names"], *entry["abbreviations"])}:
            if name in owner and owner[name] != entry["slug"]:
                clashes.append((name, owner[name], entry["slug"]))
            owner[name] = entry["slug"]
    assert clashes == []


@pytest.mark.parametrize(
    ("name", "slug", "level", "group"),
    [
        ("Sở LĐTBXH", "so-ldtbxh", "province", False),
        ("Sở Lao động - Thương binh và Xã hội", "so-ldtbxh", "province", False),
        ("Sở Lao động-Thương binh và Xã hội", "so-ldtbxh", "province", False),
        ("Sở Lao động Thương binh và Xã hội", "so-ldtbxh", "province", False),
        ("SLĐTBXH", "so-ldtbxh", "province", False),
        ("UBND các huyện, thị xã, thành phố", "ubnd-huyen", "district", True),
        ("Uỷ ban nhân dân các huyện thành phố", "ubnd-huyen", "district", True),
        ("UBND các quận, huyện, thị xã", "ubnd-huyen", "district", True),
        ("Công an tỉnh", "cong-an-tinh", "province", False),
        ("Công an Thành phố", "cong-an-tinh", "province", False),
        ("Sở Y tế", "so-yt", "province", False),
        ("UBND cấp xã", "ubnd-xa", "commune", True),
        ("Bộ, ngành Trung ương", "bo-nganh-tw", "central", True),
        ("Đài PTTH tỉnh", "dai-ptth", "province", False),
        ("Huyện ủy, Thành uỷ", "huyen-uy", "body", True),
    ],
)
def test_lookups(
    index: dict[str, dict[str, Any]], name: str, slug: str, level: str, group: bool
) -> None:
    entry = index[_key(name)]
    assert (entry["slug"], entry["level"], entry["group"]) == (slug, level, group)


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_plan_units_resolve_through_the_gazetteer(
    entries: list[dict[str, Any]], plan_id: str
) -> None:
    """Each agency of the plan files is found by the name it carries (a listed name is a prefix)."""
    by_slug = {e["slug"]: e for e in entries}
    unresolved = []
    for unit in load(plan_id).units:
        entry = by_slug.get(unit.slug)
        if entry is None:
            assert unit.level is Level.district, unit.slug  # district instances only
            continue
        names = [_key(n) for n in (*entry["names"], *entry["abbreviations"])]
        if not any(_key(unit.name).startswith(n) for n in names):
            unresolved.append(unit.slug)
        assert entry["level"] == unit.level.value, unit.slug
    assert unresolved == []
