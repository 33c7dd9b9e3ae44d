"""A unit that ended and handed its duties over still expands, to its successors."""

from __future__ import annotations

from datetime import date

from pcmd_workflow.domain.plan import Plan


def _plan() -> Plan:
    return Plan.model_validate(
        {
            "id": "p",
            "number": "1/KH-UBND",
            "type": "Kế hoạch",
            "title": "t",
            "issuer": "UBND tỉnh",
            "issued": "2021-01-01",
            "jurisdiction": "p",
            "validity": {"start": "2021-01-01", "end": "2025-12-31"},
            "units": [
                {"slug": "ubnd-tinh", "name": "UBND tỉnh", "level": "province"},
                {
                    "slug": "so-ldtbxh",
                    "name": "Sở LĐTBXH",
                    "level": "province",
                    "active_until": "2025-02-28",
                    "succeeded": [{"from": "2025-03-01", "to": ["so-yt"]}],
                },
                {"slug": "so-yt", "name": "Sở Y tế", "level": "province"},
                {
                    "slug": "so-tc",
                    "name": "Sở Tài chính",
                    "level": "province",
                    "active_until": "2024-12-31",
                },
            ],
            "groups": [{"slug": "cac-so", "name": "Các sở", "members": ["so-ldtbxh", "so-tc"]}],
        }
    )


def test_ended_unit_with_successor_expands_to_successor() -> None:
    plan = _plan()
    assert [u.slug for u in plan.expand("so-ldtbxh", on=date(2025, 2, 28))] == ["so-ldtbxh"]
    assert [u.slug for u in plan.expand("so-ldtbxh", on=date(2025, 3, 1))] == ["so-yt"]
    assert [u.slug for u in plan.expand("cac-so", on=date(2025, 6, 1))] == ["so-yt"]


def test_ended_unit_without_successor_drops_out() -> None:
    plan = _plan()
    assert [u.slug for u in plan.expand("cac-so", on=date(2024, 6, 1))] == ["so-ldtbxh", "so-tc"]
    assert [u.slug for u in plan.expand("so-tc", on=date(2025, 1, 1))] == []
