"""Agency names → unit slugs: the national gazetteer plus the intake's own extra list.

``calendars/national/gazetteer.yaml`` is a list of ``{slug, level, names, abbreviations,
group}``; ``pcmd_workflow/intake/data/gazetteer-extra.yaml`` has the same shape and adds the
names the intake needs that the national file may lack. Entries merge by slug: the national
file wins on level and group, names are united.

Names are matched on folded text (:mod:`~pcmd_workflow.intake.matching`): hyphens with or
without spaces, missing commas, «Uỷ»/«Ủy», «UBND»/«Ủy ban nhân dân» all match. In the plan
of a centrally-run city (Hà Nội…) «Thành phố» stands where a province plan says «tỉnh»
(«UBND Thành phố», «Công an Thành phố»), so a name ending in «tỉnh» also matches with
«thành phố».
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pcmd_workflow.domain.plan import SLUG_RE, Level
from pcmd_workflow.errors import IntakeError
from pcmd_workflow.intake.matching import fold

__all__ = [
    "CENTRAL_CITIES",
    "GazetteerEntry",
    "UnitMatcher",
    "UnitMention",
    "load_gazetteer",
]

EXTRA_PATH = Path(__file__).parent / "data" / "gazetteer-extra.yaml"
NATIONAL_PATH = Path(__file__).resolve().parents[2] / "calendars" / "national" / "gazetteer.yaml"

#: Centrally-run cities (thành phố trực thuộc trung ương), whose plans say «Thành phố».
CENTRAL_CITIES = frozenset(
    {"ha-noi", "ho-chi-minh", "hai-phong", "da-nang", "can-tho", "hue", "thanh-pho-ho-chi-minh"}
)


@dataclass(frozen=True, kw_only=True)
class GazetteerEntry:
    slug: str
    level: Level
    names: tuple[str, ...]
    abbreviations: tuple[str, ...] = ()
    group: bool = False
    source: str = "extra"

    @property
    def name(self) -> str:
        return self.names[0]


def _entries_from(path: Path, *, source: str) -> list[GazetteerEntry]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IntakeError(f"{path}: cannot read the gazetteer ({exc})") from None
    if isinstance(raw, dict):  # tolerate a top-level mapping {entries: [...]} / {units: [...]}
        raw = raw.get("entries") or raw.get("units") or raw.get("agencies") or []
    if not isinstance(raw, list):
        raise IntakeError(
            f"{path}: expected a list of {{slug, level, names, abbreviations, group}}"
        )
    out: list[GazetteerEntry] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "slug" not in item:
            raise IntakeError(f"{path}: entry {i}: expected a mapping with 'slug'")
        slug = str(item["slug"])
        if not SLUG_RE.match(slug):
            raise IntakeError(f"{path}: entry {i}: '{slug}' is not a slug")
        try:
            level = Level(str(item.get("level", "body")))
        except ValueError:
            raise IntakeError(
                f"{path}: entry {i} ({slug}): level '{item.get('level')}' is not one of "
                + ", ".join(lv.value for lv in Level)
            ) from None
        names = [str(n) for n in _as_list(item.get("names")) + _as_list(item.get("name"))]
        abbreviations = [str(a) for a in _as_list(item.get("abbreviations"))]
        if not names and not abbreviations:
            raise IntakeError(f"{path}: entry {i} ({slug}): no names")
        out.append(
            GazetteerEntry(
                slug=slug,
                level=level,
                names=tuple(names or abbreviations),
                abbreviations=tuple(abbreviations),
                group=bool(item.get("group", False)),
                source=source,
            )
        )
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def load_gazetteer(
    *, national: Path | None = NATIONAL_PATH, extra: Path | None = EXTRA_PATH
) -> tuple[GazetteerEntry, ...]:
    """The merged gazetteer; the national file is optional (it may not exist yet)."""
    merged: dict[str, GazetteerEntry] = {}
    if extra is not None:
        for entry in _entries_from(extra, source="extra"):
            merged[entry.slug] = entry
    if national is not None and national.exists():
        for entry in _entries_from(national, source="national"):
            old = merged.get(entry.slug)
            if old is None:
                merged[entry.slug] = entry
                continue
            names = tuple(dict.fromkeys((*entry.names, *old.names)))
            abbreviations = tuple(dict.fromkeys((*entry.abbreviations, *old.abbreviations)))
            merged[entry.slug] = GazetteerEntry(
                slug=entry.slug,
                level=entry.level,
                names=names,
                abbreviations=abbreviations,
                group=entry.group,
                source="national",
            )
    return tuple(merged.values())


@dataclass(frozen=True, kw_only=True)
class UnitMention:
    slug: str
    start: int  # in the folded text searched
    end: int
    entry: GazetteerEntry = field(compare=False)


_TOKEN_SPLIT = re.compile(r"[\s,;:\-&()]+")
_SEP = r"[\s,;:\-&]+"


def _name_pattern(name: str, *, city: bool) -> str | None:
    tokens = [t for t in _TOKEN_SPLIT.split(fold(name)) if t]
    if not tokens:
        return None
    parts = []
    for i, tok in enumerate(tokens):
        if city and tok == "tỉnh":
            parts.append(r"(?:tỉnh|thành" + _SEP + "phố)")
        elif tok == "tỉnh" and i == len(tokens) - 1:
            parts.append(re.escape(tok))
        else:
            parts.append(re.escape(tok))
    return r"(?<![\w/-])" + _SEP.join(parts) + r"(?![\w/-])"


class UnitMatcher:
    """Finds gazetteer names in folded text, longest match first, without overlaps."""

    def __init__(self, entries: tuple[GazetteerEntry, ...], *, city: bool = False) -> None:
        self.entries = {e.slug: e for e in entries}
        alternatives: list[tuple[str, str]] = []
        for entry in entries:
            for name in (*entry.names, *entry.abbreviations):
                pattern = _name_pattern(name, city=city)
                if pattern:
                    alternatives.append((entry.slug, pattern))
        self._patterns = [(slug, re.compile(p)) for slug, p in alternatives]

    def find(self, folded: str) -> list[UnitMention]:
        hits: list[UnitMention] = []
        for slug, pattern in self._patterns:
            for m in pattern.finditer(folded):
                hits.append(
                    UnitMention(slug=slug, start=m.start(), end=m.end(), entry=self.entries[slug])
                )
        hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
        chosen: list[UnitMention] = []
        for hit in sorted(hits, key=lambda h: -(h.end - h.start)):
            if all(hit.end <= c.start or hit.start >= c.end for c in chosen):
                chosen.append(hit)
        return sorted(chosen, key=lambda h: h.start)


@lru_cache(maxsize=4)
def default_matcher(city: bool) -> UnitMatcher:
    return UnitMatcher(load_gazetteer(), city=city)
