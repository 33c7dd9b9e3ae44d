"""The Vietnamese working-day calendar of the public sector.

A working day is Monday to Friday, minus

* the public holidays of the Labour Code in force that year (Bộ luật Lao động 1994 as
  amended in 2007, Art. 73, until 2012; Bộ luật Lao động 2012, Art. 115, 2013–2020: National
  Day is 2/9 only; Bộ luật Lao động 2019, Art. 112, from 2021: 2/9 plus an adjacent day),
  as computed by the ``holidays`` package (``VN``, ``language="vi"``), with their
  compensatory days off (nghỉ bù);
* the days off the Government announces for the year (Tết span, swapped days),

plus the make-up working Saturdays the Government announces in exchange.

The yearly announcements live in ``calendars/national/working-days.yaml``; an entry there
replaces whatever the package says for that date, so the file is where a wrong or
incomplete year is corrected, each entry with the document it comes from. A year is
*verified* when that file has an entry for it marked ``reviewed: true``; other years are
answered from the package alone and flagged ``verified: False``.

Dates here are civil dates in Asia/Ho_Chi_Minh; nothing depends on the machine's clock or
timezone. Years outside 2000–2099 raise :class:`~pcmd_workflow.errors.CalendarError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays
import yaml

from pcmd_workflow.domain.vn_dates import WEEKDAYS_EN, format_short, weekday_vi
from pcmd_workflow.errors import CalendarError

__all__ = [
    "DAY_KINDS",
    "DEFAULT_OVERRIDES_PATH",
    "FIRST_YEAR",
    "LAST_YEAR",
    "DayInfo",
    "WorkingCalendar",
    "check_year",
    "default_calendar",
]

FIRST_YEAR = 2000
LAST_YEAR = 2099

DEFAULT_OVERRIDES_PATH = (
    Path(__file__).resolve().parents[2] / "calendars" / "national" / "working-days.yaml"
)

DAY_KINDS = frozenset(
    {"weekday", "weekend", "holiday", "compensatory", "swap_off", "make_up_working"}
)


@dataclass(frozen=True, kw_only=True)
class DayInfo:
    """What one civil date is: working or not, and why."""

    date: date
    working: bool
    kind: str  # one of DAY_KINDS
    reason_vi: str | None  # e.g. "Tết Nguyên đán", "Thứ Bảy", "Nghỉ bù Giỗ Tổ Hùng Vương"
    reason_en: str | None
    source: str | None  # law or document number for holidays and swaps


def check_year(year: int, *, what: str = "year") -> None:
    """Raise CalendarError unless ``year`` is one the calendar answers (2000–2099)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(
            f"{what} {year} is outside the calendar's range; expected a year from "
            f"{FIRST_YEAR} to {LAST_YEAR}"
        )


def _labour_code(year: int) -> tuple[str, str]:
    """The articles on public holidays and on compensatory days of the year's Labour Code."""
    if year >= 2021:
        code = "Bộ luật Lao động 2019 (45/2019/QH14)"
        return f"{code}, Điều 112", f"{code}, Điều 111 khoản 3"
    if year >= 2013:
        code = "Bộ luật Lao động 2012 (10/2012/QH13)"
        return f"{code}, Điều 115", f"{code}, Điều 115 khoản 3"
    code = "Bộ luật Lao động 1994 (sửa đổi 2002, 2006, 2007), Điều 73"
    return code, code


_TET_LABELS = frozenset(
    {
        "29 Tết",
        "Giao thừa Tết Nguyên Đán",
        "Tết Nguyên Đán",
        "Mùng hai Tết Nguyên Đán",
        "Mùng ba Tết Nguyên Đán",
        "Mùng bốn Tết Nguyên Đán",
        "Mùng năm Tết Nguyên Đán",
        "Mùng sáu Tết Nguyên Đán",
    }
)
_HOLIDAY_NAMES: dict[str, tuple[str, str]] = {
    "Tết Dương lịch": ("Tết Dương lịch", "New Year's Day"),
    "Tết Nguyên đán": ("Tết Nguyên đán", "Lunar New Year (Tết)"),
    "Ngày Giỗ Tổ Hùng Vương": ("Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration Day"),
    "Ngày Chiến thắng": ("Ngày Chiến thắng (30/4)", "Reunification Day (30 April)"),
    "Ngày Quốc tế Lao động": ("Ngày Quốc tế Lao động (1/5)", "International Labour Day (1 May)"),
    "Quốc khánh": ("Quốc khánh (2/9)", "National Day (2 September)"),
    "Ngày Văn hóa Việt Nam": ("Ngày Văn hóa Việt Nam (24/11)", "Vietnam Culture Day (24 November)"),
}
_SWAP_RE = re.compile(r"^Ngày nghỉ \(thay cho ngày (\d\d)/(\d\d)/(\d{4})\)$")
_ESTIMATED_RE = re.compile(r" \((?:nghỉ bù, )?dự kiến\)$")
_KIND_RANK = {"holiday": 0, "compensatory": 1, "swap_off": 2}


def _base_label(label: str) -> str:
    """A package label without its "(dự kiến)" / "(nghỉ bù)" suffixes."""
    return _ESTIMATED_RE.sub("", label).removesuffix(" (nghỉ bù)")


def _from_package_label(day: date, label: str, *, year: int) -> DayInfo:
    """Our name, kind and source for one label of the ``holidays`` package."""
    label = _ESTIMATED_RE.sub("", label)
    kind = "holiday"
    source, compensatory_source = _labour_code(year)
    if label.endswith(" (nghỉ bù)"):
        kind = "compensatory"
        label = label.removesuffix(" (nghỉ bù)")
        source = compensatory_source
    if label in _TET_LABELS:
        label = "Tết Nguyên đán"
    swap = _SWAP_RE.match(label)
    if swap:
        worked = date(int(swap[3]), int(swap[2]), int(swap[1]))
        return DayInfo(
            date=day,
            working=False,
            kind="swap_off",
            reason_vi=f"Ngày nghỉ hoán đổi (làm bù {weekday_vi(worked)} {format_short(worked)})",
            reason_en=f"Swapped day off, worked on {WEEKDAYS_EN[worked.weekday()]} "
            f"{worked.isoformat()}",
            source=f"hoán đổi theo thư viện holidays {holidays.__version__} (chưa rà soát)",
        )
    vi, en = _HOLIDAY_NAMES.get(label, (label, label))
    if label == "Quốc khánh" and kind == "holiday" and (day.month, day.day) != (9, 2):
        vi, en = "Quốc khánh (ngày liền kề 2/9)", "National Day (adjacent day)"
    if kind == "compensatory":
        vi, en = f"Nghỉ bù {vi}", f"Compensatory day off for {en}"
    return DayInfo(date=day, working=False, kind=kind, reason_vi=vi, reason_en=en, source=source)


def _merge(infos: list[DayInfo]) -> DayInfo:
    """One DayInfo for a date that carries several package labels."""
    infos = sorted(infos, key=lambda i: _KIND_RANK[i.kind])
    first = infos[0]
    if len(infos) == 1:
        return first
    return replace(
        first,
        reason_vi="; ".join(dict.fromkeys(i.reason_vi or "" for i in infos)),
        reason_en="; ".join(dict.fromkeys(i.reason_en or "" for i in infos)),
    )


@dataclass(frozen=True, kw_only=True)
class _YearOverrides:
    reviewed: bool
    days: dict[date, DayInfo]


@dataclass(frozen=True, kw_only=True)
class _BaseHolidayRule:
    """Whether a holiday the package knows is in force, and from which year."""

    label: str
    in_force_from: int | None  # None: not in force in any year
    source: str

    def applies(self, year: int) -> bool:
        return self.in_force_from is not None and year >= self.in_force_from


@dataclass(frozen=True, kw_only=True)
class _Overrides:
    base_rules: dict[str, _BaseHolidayRule]
    years: dict[int, _YearOverrides]


def _load_base_rules(raw: Any, *, path: Path) -> dict[str, _BaseHolidayRule]:
    if raw is not None and not isinstance(raw, list):
        raise CalendarError(f"{path}: base_holidays: expected a list")
    rules: dict[str, _BaseHolidayRule] = {}
    for index, entry in enumerate(raw or []):
        where = f"{path}: base_holidays[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise CalendarError(f"{where}: expected label, in_force_from and source")
        start = entry.get("in_force_from")
        if start is not None and (isinstance(start, bool) or not isinstance(start, int)):
            raise CalendarError(f"{where}: in_force_from: expected a year or null")
        if not isinstance(entry.get("source"), str) or not entry["source"].strip():
            raise CalendarError(f"{where}: source: expected a non-empty text")
        rules[entry["label"]] = _BaseHolidayRule(
            label=entry["label"], in_force_from=start, source=entry["source"]
        )
    return rules


def _load_overrides(path: Path) -> _Overrides:
    """Read and check the override file; every problem names the file and the entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"{path}: working-day override file not found") from None
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("years"), dict):
        raise CalendarError(f"{path}: expected a mapping with a 'years:' mapping")
    result: dict[int, _YearOverrides] = {}
    for year, body in raw["years"].items():
        where = f"{path}: years.{year}"
        if not isinstance(year, int):
            raise CalendarError(f"{where}: expected a year as a number, e.g. 2024")
        check_year(year, what=f"{where}:")
        if not isinstance(body, dict) or not isinstance(body.get("reviewed"), bool):
            raise CalendarError(f"{where}: expected 'reviewed: true|false'")
        days: dict[date, DayInfo] = {}
        for index, entry in enumerate(body.get("days") or []):
            info = _override_entry(entry, where=f"{where}.days[{index}]", year=year)
            if info.date in days:
                raise CalendarError(f"{where}.days[{index}]: {info.date} is listed twice")
            days[info.date] = info
        result[year] = _YearOverrides(reviewed=body["reviewed"], days=days)
    return _Overrides(
        base_rules=_load_base_rules(raw.get("base_holidays"), path=path), years=result
    )


def _override_entry(entry: Any, *, where: str, year: int) -> DayInfo:
    if not isinstance(entry, dict):
        raise CalendarError(f"{where}: expected a mapping with date, working, kind, reason_vi")
    day = entry.get("date")
    if not isinstance(day, date) or day.year != year:
        raise CalendarError(f"{where}: date: expected an unquoted date YYYY-MM-DD in {year}")
    working = entry.get("working")
    if not isinstance(working, bool):
        raise CalendarError(f"{where}: working: expected true or false")
    kind = entry.get("kind")
    if kind not in DAY_KINDS:
        raise CalendarError(f"{where}: kind: expected one of {', '.join(sorted(DAY_KINDS))}")
    if working != (kind in {"weekday", "make_up_working"}):
        raise CalendarError(f"{where}: kind {kind} does not fit working: {working}")
    for key in ("reason_vi", "reason_en", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise CalendarError(f"{where}: {key}: expected a non-empty text")
    return DayInfo(
        date=day,
        working=working,
        kind=kind,
        reason_vi=entry["reason_vi"],
        reason_en=entry["reason_en"],
        source=entry["source"],
    )


@dataclass(frozen=True, kw_only=True)
class _Year:
    """Everything about one year, computed once: O(1) answers afterwards."""

    special: dict[date, DayInfo]  # every date that is not an ordinary weekday/weekend
    first_ordinal: int  # date(year, 1, 1).toordinal()
    working: bytes  # working[i] == 1 when day i (0 = 1 January) is a working day
    cumulative: tuple[int, ...]  # cumulative[i] = working days among days 0..i-1
    verified: bool


class WorkingCalendar:
    """Working days of Vietnam's public sector, 2000–2099.

    Civil Code 2015 Art. 148 counts time limits in days; a limit whose last day is a day
    off ends at the end of the next working day. This class answers which days are off.
    """

    def __init__(self, *, overrides_path: Path | None = None) -> None:
        self.overrides_path = overrides_path or DEFAULT_OVERRIDES_PATH
        self._overrides = _load_overrides(self.overrides_path)
        self._years: dict[int, _Year] = {}

    # -- per-year tables --------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        check_year(year)
        built = self._build_year(year)
        self._years[year] = built
        return built

    def _build_year(self, year: int) -> _Year:
        package = holidays.country_holidays("VN", years=[year, year + 1], language="vi")
        special: dict[date, DayInfo] = {}
        for day in sorted(package):
            if day.year != year:
                continue
            infos = [
                _from_package_label(day, label, year=year)
                for label in package.get_list(day)
                if self._in_force(_base_label(label), year)
            ]
            if not infos:
                continue
            merged = _merge(infos)
            if day.weekday() >= 5:
                merged = replace(
                    merged,
                    kind="weekend",
                    reason_vi=f"{weekday_vi(day)} trùng {merged.reason_vi}",
                    reason_en=f"{WEEKDAYS_EN[day.weekday()]}, also {merged.reason_en}",
                )
            special[day] = merged
        for day in sorted(getattr(package, "weekend_workdays", ())):
            if day.year == year:
                special[day] = DayInfo(
                    date=day,
                    working=True,
                    kind="make_up_working",
                    reason_vi=f"Làm bù ({weekday_vi(day)})",
                    reason_en=f"Make-up working {WEEKDAYS_EN[day.weekday()]}",
                    source=f"làm bù theo thư viện holidays {holidays.__version__} (chưa rà soát)",
                )
        overrides = self._overrides.years.get(year)
        if overrides is not None:
            special.update(overrides.days)
        first = date(year, 1, 1)
        n_days = (date(year + 1, 1, 1) - first).days
        flags = bytearray(n_days)
        cumulative = [0] * (n_days + 1)
        for i in range(n_days):
            day = first + timedelta(days=i)
            info = special.get(day)
            flags[i] = int(info.working if info is not None else day.weekday() < 5)
            cumulative[i + 1] = cumulative[i] + flags[i]
        return _Year(
            special=special,
            first_ordinal=first.toordinal(),
            working=bytes(flags),
            cumulative=tuple(cumulative),
            verified=overrides is not None and overrides.reviewed,
        )

    # -- questions --------------------------------------------------------------------

    def day_info(self, day: date) -> DayInfo:
        """Working or not, and why (holiday name, weekday name, document)."""
        info = self._year(day.year).special.get(day)
        if info is not None:
            return info
        if day.weekday() >= 5:
            name = weekday_vi(day)
            return DayInfo(
                date=day,
                working=False,
                kind="weekend",
                reason_vi=name,
                reason_en=WEEKDAYS_EN[day.weekday()],
                source=None,
            )
        return DayInfo(
            date=day, working=True, kind="weekday", reason_vi=None, reason_en=None, source=None
        )

    def is_working_day(self, day: date) -> bool:
        table = self._years.get(day.year) or self._year(day.year)
        return table.working[day.toordinal() - table.first_ordinal] == 1

    def is_verified(self, year: int) -> bool:
        """True when the override file has a reviewed entry for ``year``."""
        check_year(year)
        overrides = self._overrides.years.get(year)
        return overrides is not None and overrides.reviewed

    def _in_force(self, label: str, year: int) -> bool:
        """A package holiday counts unless ``base_holidays`` says it is not in force."""
        rule = self._overrides.base_rules.get(label)
        return rule is None or rule.applies(year)

    def non_working_weekdays(self, year: int) -> list[DayInfo]:
        """Every Monday–Friday that is a day off, plus the make-up working Saturdays/Sundays."""
        table = self._year(year)
        return [
            info
            for day, info in sorted(table.special.items())
            if (day.weekday() < 5 and not info.working) or (day.weekday() >= 5 and info.working)
        ]

    def roll_forward(self, day: date) -> date:
        """``day`` itself when it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def roll_backward(self, day: date) -> date:
        """``day`` itself when it is a working day, else the previous working day."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n > 0) or before it (n < 0).

        ``day`` itself is never counted; ``n == 0`` gives ``roll_forward(day)``.
        """
        if n == 0:
            return self.roll_forward(day)
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; minus those in ``(end, start]`` when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        total = self._rank(end) - self._rank(start)
        for year in range(start.year, end.year):
            total += self._year(year).cumulative[-1]
        return total

    def _rank(self, day: date) -> int:
        """Working days from 1 January of ``day``'s year up to and including ``day``."""
        table = self._year(day.year)
        return table.cumulative[day.toordinal() - table.first_ordinal + 1]


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The national calendar from ``calendars/national/working-days.yaml`` (built once)."""
    return WorkingCalendar()
