"""Who receives a notice, on which channel: the units' contacts and the configured channels.

A contact's kind gives its channel (CONTRACTS "Notices"): an e-mail address goes by
``email``, a Zalo user id by ``zalo`` (OA consultation message), a phone by ``zns``
(template message, ``84…`` form) — each only when that channel is configured (settings
``email_url``, ``zalo_url`` with a ZNS ``template``). Contacts that share a ``name`` are one
person: that person gets one notice per rung, by the first channel of
:data:`CHANNEL_PREFERENCE` that reaches them, and the others are its fallback (ZALO.md:
CS → ZNS → e-mail). Contacts without a name are separate recipients. A unit no configured
channel can reach is addressed ``sink:<unit>``: its notices are kept in the file sink and
the coordinator's digest lists it.

Audiences (``domain.ladder.Audience``):

- ``unit``: the reporting unit's contacts with role ``unit`` or ``coordinator`` (its own
  PCMD focal point);
- ``head``: its contacts with role ``head``; none means no head notice;
- ``coordinator``: the standing body's (``role: standing``, after its succession on the
  day asked about) contacts with role ``coordinator``, else ``settings.coordinator_email``,
  else the standing body's own contacts;
- ``pc_office``: the People's Committee office — a unit tagged ``pc-office`` or whose slug
  starts with ``vp-ubnd``, else the issuing People's Committee (a ``ubnd…`` unit with role
  ``recipient`` and no parent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from pcmd_workflow.channels.phones import normalise_phone
from pcmd_workflow.domain.ladder import Audience
from pcmd_workflow.settings import Settings
from pcmd_workflow.store.models import units_table

__all__ = [
    "CHANNEL_PREFERENCE",
    "CHANNEL_VI",
    "Address",
    "ChannelAvailability",
    "Directory",
    "UnitInfo",
]

_CONTACT_CHANNEL = {"email": "email", "zalo": "zalo", "phone": "zns"}
#: A person reachable several ways gets one notice, by the first of these; the others are
#: the fallback (ZALO.md: CS → ZNS → e-mail).
CHANNEL_PREFERENCE: tuple[str, ...] = ("zalo", "zns", "email", "sink")
#: Channel names in Vietnamese, for messages and reports.
CHANNEL_VI = {
    "email": "thư điện tử",
    "zalo": "Zalo (tin tư vấn OA)",
    "zns": "Zalo ZNS (tin mẫu)",
    "sink": "sổ lưu của hệ thống",
}


@dataclass(frozen=True, kw_only=True)
class Address:
    channel: str
    recipient: str
    addressee: str  # the unit whose contact this is
    addressee_name: str


@dataclass(frozen=True, kw_only=True)
class ChannelAvailability:
    """Which real channels are configured (the sink always is)."""

    email: bool = False
    zalo: bool = False
    zns: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ChannelAvailability:
        zns = False
        if settings.zalo_url:
            from pcmd_workflow.channels.zalo import NotifyZalo

            parsed = NotifyZalo.parse_url(settings.zalo_url) or {}
            zns = bool(parsed.get("template"))
        return cls(email=bool(settings.email_url), zalo=bool(settings.zalo_url), zns=zns)

    @property
    def any(self) -> bool:
        return self.email or self.zalo or self.zns

    def usable(self, channel: str) -> bool:
        return bool(getattr(self, channel, False))


@dataclass(frozen=True, kw_only=True)
class UnitInfo:
    plan_id: str
    slug: str
    name: str
    level: str
    role: str
    parent: str | None
    requested: bool
    tags: tuple[str, ...]
    contacts: tuple[Mapping[str, Any], ...]
    succession: tuple[Mapping[str, Any], ...]

    def successors_on(self, day: date) -> list[str] | None:
        """Units carrying this unit's duties on ``day`` (succession of every duty), or None."""
        current: list[str] | None = None
        for step in sorted(self.succession, key=lambda s: str(s.get("from"))):
            if str(step.get("from")) <= day.isoformat() and not step.get("obligations"):
                current = list(step.get("to") or [])
        return current


def _contact_address(contact: Mapping[str, Any], channels: ChannelAvailability) -> str | None:
    channel = _CONTACT_CHANNEL.get(str(contact.get("kind")))
    if channel is None or not channels.usable(channel):
        return None
    value = str(contact.get("value", "")).strip()
    if channel == "zns":
        return normalise_phone(value)
    return value or None


class Directory:
    """The units of some plans and the addressing rules above."""

    def __init__(
        self,
        units: Iterable[UnitInfo],
        *,
        channels: ChannelAvailability,
        coordinator_email: str | None = None,
    ) -> None:
        self.channels = channels
        self.coordinator_email = coordinator_email
        self._units: dict[tuple[str, str], UnitInfo] = {}
        self._by_plan: dict[str, list[UnitInfo]] = defaultdict(list)
        for unit in units:
            self._units[(unit.plan_id, unit.slug)] = unit
            self._by_plan[unit.plan_id].append(unit)
        self._memo: dict[tuple[str, str, str, date], tuple[Address, ...]] = {}

    @classmethod
    def load(
        cls,
        session: Session,
        *,
        plan_ids: Sequence[str] | None,
        channels: ChannelAvailability,
        coordinator_email: str | None = None,
    ) -> Directory:
        u = units_table
        stmt = select(
            u.c.plan_id,
            u.c.slug,
            u.c.name,
            u.c.level,
            u.c.role,
            u.c.parent,
            u.c.requested,
            u.c.tags,
            u.c.contacts,
            u.c.succession,
        ).where(u.c.removed_at.is_(None))
        if plan_ids is not None:
            stmt = stmt.where(u.c.plan_id.in_(list(plan_ids)))
        units = [
            UnitInfo(
                plan_id=r.plan_id,
                slug=r.slug,
                name=r.name,
                level=r.level,
                role=r.role,
                parent=r.parent,
                requested=bool(r.requested),
                tags=tuple(r.tags or ()),
                contacts=tuple(r.contacts or ()),
                succession=tuple(r.succession or ()),
            )
            for r in session.execute(stmt)
        ]
        return cls(units, channels=channels, coordinator_email=coordinator_email)

    # -- lookups ------------------------------------------------------------------------

    def unit(self, plan_id: str, slug: str) -> UnitInfo | None:
        return self._units.get((plan_id, slug))

    def name_of(self, plan_id: str, slug: str) -> str:
        unit = self.unit(plan_id, slug)
        return unit.name if unit is not None else slug

    def standing_body(self, plan_id: str, *, on: date) -> UnitInfo | None:
        """The standing body of the plan on ``on`` (its successor after a merger)."""
        unit = next((u for u in self._by_plan.get(plan_id, ()) if u.role == "standing"), None)
        for _ in range(8):
            if unit is None:
                return None
            successors = unit.successors_on(on)
            if not successors:
                return unit
            unit = self.unit(plan_id, successors[0])
        return unit

    def pc_office(self, plan_id: str) -> UnitInfo | None:
        units = self._by_plan.get(plan_id, ())
        for unit in units:
            if "pc-office" in unit.tags or unit.slug.startswith("vp-ubnd"):
                return unit
        for unit in units:
            if unit.slug.startswith("ubnd") and unit.role == "recipient" and unit.parent is None:
                return unit
        return None

    # -- addresses ----------------------------------------------------------------------

    def _people(self, unit: UnitInfo, roles: Iterable[str]) -> list[list[Address]]:
        """The unit's people in ``roles``, each with the addresses configured channels reach.

        Contacts sharing a ``name`` are one person; a contact without a name is a person of
        its own. Each person's addresses come in the order of :data:`CHANNEL_PREFERENCE`.
        """
        wanted = set(roles)
        people: dict[str, list[Address]] = {}
        seen: set[tuple[str, str]] = set()
        for index, contact in enumerate(unit.contacts):
            if str(contact.get("role", "unit")) not in wanted:
                continue
            recipient = _contact_address(contact, self.channels)
            if recipient is None:
                continue
            channel = _CONTACT_CHANNEL[str(contact["kind"])]
            if (channel, recipient) in seen:
                continue
            seen.add((channel, recipient))
            person = str(contact.get("name") or f"#{index}")
            people.setdefault(person, []).append(
                Address(
                    channel=channel,
                    recipient=recipient,
                    addressee=unit.slug,
                    addressee_name=unit.name,
                )
            )
        return [
            sorted(addresses, key=lambda a: CHANNEL_PREFERENCE.index(a.channel))
            for addresses in people.values()
        ]

    def _addresses_of(self, unit: UnitInfo, roles: Iterable[str]) -> list[Address]:
        """One address per person: the preferred channel that reaches them."""
        return [addresses[0] for addresses in self._people(unit, roles)]

    @staticmethod
    def _sink(slug: str, name: str) -> Address:
        return Address(
            channel="sink", recipient=f"sink:{slug}", addressee=slug, addressee_name=name
        )

    def addresses(
        self, plan_id: str, *, audience: Audience | str, unit: str, on: date
    ) -> tuple[Address, ...]:
        """Where a notice for ``audience`` about ``unit`` goes (empty: nobody, e.g. no head)."""
        audience = Audience(audience)
        # the coordinator and the PC office do not depend on the unit asked about
        who = unit if audience in (Audience.unit, Audience.head) else ""
        key = (plan_id, audience.value, who, on)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = tuple(
                self._resolve(plan_id, audience=audience, unit=unit, on=on)
            )
        return found

    def _resolve(self, plan_id: str, *, audience: Audience, unit: str, on: date) -> list[Address]:
        info = self.unit(plan_id, unit)
        if audience is Audience.unit:
            if info is None:
                return [self._sink(unit, unit)]
            return self._addresses_of(info, ("unit", "coordinator")) or [
                self._sink(info.slug, info.name)
            ]
        if audience is Audience.head:
            return [] if info is None else self._addresses_of(info, ("head",))
        if audience is Audience.coordinator:
            return self.coordinator_addresses(plan_id, on=on)
        office = self.pc_office(plan_id)
        if office is None:
            return [self._sink("vp-ubnd", "Văn phòng Ủy ban nhân dân")]
        return self._addresses_of(office, ("unit", "coordinator", "head")) or [
            self._sink(office.slug, office.name)
        ]

    def coordinator_addresses(self, plan_id: str, *, on: date) -> list[Address]:
        standing = self.standing_body(plan_id, on=on)
        if standing is not None:
            found = self._addresses_of(standing, ("coordinator",))
            if found:
                return found
        if self.coordinator_email and self.channels.email:
            slug = standing.slug if standing is not None else "coordinator"
            name = standing.name if standing is not None else "Cơ quan thường trực"
            return [
                Address(
                    channel="email",
                    recipient=self.coordinator_email,
                    addressee=slug,
                    addressee_name=name,
                )
            ]
        if standing is not None:
            return self._addresses_of(standing, ("unit",)) or [
                self._sink(standing.slug, standing.name)
            ]
        return [self._sink("coordinator", "Cơ quan thường trực")]

    def fallback_addresses(
        self,
        plan_id: str | None,
        *,
        addressee: str,
        channel: str,
        recipient: str,
        skip: frozenset[str] = frozenset(),
    ) -> list[Address]:
        """Where a notice that ``channel`` could not deliver to ``recipient`` goes next.

        The same person's next channel (Zalo's order, CS → ZNS → e-mail) not in ``skip`` (a
        disabled Zalo account skips both Zalo channels); a person with no other channel falls
        back to the unit's e-mail addresses; failing those, to the sink.
        """
        info = self.unit(plan_id, addressee) if plan_id is not None else None
        if info is None:
            return [self._sink(addressee, addressee)]
        roles = ("unit", "coordinator", "head")
        for addresses in self._people(info, roles):
            if any(a.channel == channel and a.recipient == recipient for a in addresses):
                rank = CHANNEL_PREFERENCE.index(channel)
                later = [
                    a
                    for a in addresses
                    if CHANNEL_PREFERENCE.index(a.channel) > rank and a.channel not in skip
                ]
                if later:
                    return [later[0]]
        emails = [
            a
            for people in self._people(info, roles)
            for a in people
            if a.channel == "email" and a.recipient != recipient
        ]
        return emails or [self._sink(info.slug, info.name)]

    def unreachable_why(self, plan_id: str, slug: str) -> str | None:
        """Why ``slug`` is addressed to the sink (None when a channel reaches it).

        A unit without any contact is always listed; one whose contacts need a channel that
        is not configured is listed only when some real channel is configured.
        """
        info = self.unit(plan_id, slug)
        if info is None:
            return "đơn vị không còn trong kế hoạch"
        if self._addresses_of(info, ("unit", "coordinator")):
            return None
        own = [c for c in info.contacts if str(c.get("role", "unit")) in ("unit", "coordinator")]
        if not own:
            return "chưa có thông tin liên hệ"
        if not self.channels.any:
            return None
        kinds = sorted({CHANNEL_VI[_CONTACT_CHANNEL[str(c["kind"])]] for c in own})
        return f"chỉ có liên hệ qua {', '.join(kinds)}, kênh này chưa được cấu hình"
