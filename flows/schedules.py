"""The schedules of the deployments, defined once, in Asia/Ho_Chi_Minh time.

``pcmd serve`` (``flows/deployments.py``), ``prefect.yaml`` (checked against this module by
the tests) and ``pcmd schedule`` all read them from here.

- ``daily-sweep``: 07:00 Monday to Saturday. Saturday is included for the make-up working
  Saturdays the Government announces (e.g. 04/05/2024); the flow itself skips every day that
  is not a working day on the Vietnamese calendar (weekends, Tết and the other holidays of
  Labour Code 2019 Art. 112, compensatory days), which cron cannot express.
- ``dispatch-outbox``: every 10 minutes from 07:00 to 20:50, Monday to Saturday: retries and
  late deliveries within the sending window (07:30–21:00 on working days, CONTRACTS
  "Notices"; the dispatcher defers anything outside it).
- ``compile-after-deadline``: no cron. One run per obligation period is created from the
  computed due dates (00:30 the day after the last due date; lunar holidays, swaps and the
  Civil Code 2015 Art. 148 shift make them irregular) by ``flows/calendar_sync.py``.

Importing this module does not import Prefect (``pcmd schedule`` stays fast).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from cronsim import CronSim

__all__ = [
    "COMPILE_AFTER_DEADLINE",
    "DAILY_SWEEP",
    "DEPLOYMENT_NAME",
    "DISPATCH_OUTBOX",
    "SCHEDULES",
    "TIMEZONE",
    "FlowSchedule",
    "by_flow",
]

TIMEZONE = "Asia/Ho_Chi_Minh"
#: The name of every pcmd deployment: ``<flow>/pcmd``.
DEPLOYMENT_NAME = "pcmd"


@dataclass(frozen=True, kw_only=True)
class FlowSchedule:
    """When one deployment runs."""

    flow: str  # the Prefect flow name
    cron: str | None  # None: runs created from computed dates
    description_vi: str
    description_en: str
    timezone: str = TIMEZONE

    @property
    def deployment(self) -> str:
        """``<flow>/<deployment>`` as Prefect names it."""
        return f"{self.flow}/{DEPLOYMENT_NAME}"

    def next_runs(self, *, after: datetime, count: int = 3) -> list[datetime]:
        """The next ``count`` instants of the cron strictly after ``after`` (local, aware)."""
        if self.cron is None:
            return []
        zone = ZoneInfo(self.timezone)
        start = after.astimezone(zone).replace(second=0, microsecond=0)
        found: list[datetime] = []
        for instant in CronSim(self.cron, start):
            if instant > after:
                found.append(instant)
            if len(found) == count:
                break
        return found

    def prefect_schedule(self) -> Any:
        """``prefect.schedules.Cron(cron, timezone=...)``, or None without a cron."""
        if self.cron is None:
            return None
        from prefect.schedules import Cron

        return Cron(self.cron, timezone=self.timezone)


DAILY_SWEEP = FlowSchedule(
    flow="daily-sweep",
    cron="0 7 * * 1-6",
    description_vi=(
        "Quét buổi sáng ngày làm việc: sinh kỳ mới, tính trạng thái, ghi thông báo, gửi; "
        "tự bỏ qua ngày nghỉ theo lịch làm việc Việt Nam"
    ),
    description_en=(
        "Morning sweep of each working day: new periods, statuses, notices, dispatch; "
        "skips days off on the Vietnamese calendar"
    ),
)
DISPATCH_OUTBOX = FlowSchedule(
    flow="dispatch-outbox",
    cron="*/10 7-20 * * 1-6",
    description_vi="Gửi thông báo đến hạn, gửi lại khi lỗi, trong khung giờ gửi",
    description_en="Delivers due notices, retries and late deliveries within the sending window",
)
COMPILE_AFTER_DEADLINE = FlowSchedule(
    flow="compile-after-deadline",
    cron=None,
    description_vi=(
        "Tổng hợp một kỳ báo cáo lúc 00:30 sau hạn nộp cuối cùng (lịch tính từ hạn nộp)"
    ),
    description_en=(
        "Compiles one obligation period at 00:30 after its last due date (runs created "
        "from the computed due dates)"
    ),
)
SCHEDULES: tuple[FlowSchedule, ...] = (DAILY_SWEEP, DISPATCH_OUTBOX, COMPILE_AFTER_DEADLINE)


def by_flow(flow: str) -> FlowSchedule:
    """The schedule of ``flow`` (KeyError for an unknown name)."""
    for schedule in SCHEDULES:
        if schedule.flow == flow:
            return schedule
    raise KeyError(flow)
