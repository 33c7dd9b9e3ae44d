"""Vietnamese words the pages show for codes: statuses, cadences, levels, actions, channels.

The codes are the contract's (CONTRACTS "Tasks, submissions, review", "Notices"); pages
never show a raw code where a reader expects words. Each status also has a colour class and
a short symbol, so that the matrix is readable without colour (WCAG 1.4.1).
"""

from __future__ import annotations

from datetime import date, datetime

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.domain.vn_dates import format_short, weekday_vi

__all__ = [
    "ACTION_VI",
    "CADENCE_VI",
    "CHANNEL_VI",
    "LEVEL_VI",
    "NOTICE_STATUS_VI",
    "REVIEW_VI",
    "STATUS_ORDER",
    "STATUS_SYMBOL",
    "STATUS_VI",
    "day_vi",
    "instant_vi",
    "long_day_vi",
]

#: Statuses from the most to the least urgent (the order of counts and legends).
STATUS_ORDER = (
    "overdue",
    "returned",
    "due_today",
    "due_soon",
    "upcoming",
    "submitted_late",
    "submitted_on_time",
    "excused",
)

STATUS_VI = {
    "upcoming": "Chưa đến hạn",
    "due_soon": "Sắp đến hạn",
    "due_today": "Đến hạn hôm nay",
    "overdue": "Quá hạn chưa nộp",
    "submitted_on_time": "Đã nộp đúng hạn",
    "submitted_late": "Đã nộp muộn",
    "returned": "Bị trả lại, chờ nộp lại",
    "excused": "Được miễn",
}

#: A one-character mark per status (shown in matrix cells next to the colour).
STATUS_SYMBOL = {
    "upcoming": "·",
    "due_soon": "◔",
    "due_today": "◑",
    "overdue": "✕",
    "submitted_on_time": "✓",
    "submitted_late": "!",
    "returned": "↺",
    "excused": "–",
}

REVIEW_VI = {
    "pending": "Chờ duyệt",
    "accepted": "Đã chấp nhận",
    "returned": "Đã trả lại",
}

CADENCE_VI = {
    "monthly": "Hằng tháng",
    "quarterly": "Hằng quý",
    "semiannual": "6 tháng",
    "ninemonth": "9 tháng",
    "annual": "Hằng năm",
    "summary": "Sơ kết, tổng kết",
    "adhoc": "Đột xuất",
    "flash": "Báo cáo nhanh",
    "unscheduled": "Không định kỳ",
}

LEVEL_VI = {
    "central": "Trung ương",
    "province": "Cấp tỉnh",
    "district": "Cấp huyện",
    "commune": "Cấp xã",
    "body": "Tổ chức khác",
}

ACTION_VI = {
    "create": "Tạo mới",
    "update": "Cập nhật theo kế hoạch",
    "cancel": "Hủy",
    "reactivate": "Khôi phục",
    "submit": "Nộp báo cáo",
    "accept": "Chấp nhận báo cáo",
    "return": "Trả lại báo cáo",
    "extend": "Gia hạn",
    "excuse": "Miễn báo cáo",
    "remind": "Gửi nhắc ngay",
    "password": "Đổi mật khẩu",
    "load": "Nạp kế hoạch",
}

NOTICE_STATUS_VI = {
    "pending": "Chờ gửi",
    "sent": "Đã gửi",
    "failed": "Gửi lỗi, sẽ thử lại",
    "dead": "Không gửi được",
    "cancelled": "Đã hủy",
    "replaced": "Đã chuyển kênh khác",
}

CHANNEL_VI = {
    "email": "Thư điện tử",
    "zalo": "Zalo (tin OA)",
    "zns": "Zalo ZNS",
    "sink": "Sổ lưu hệ thống",
    "portal": "Cổng nộp báo cáo",
    "cli": "Dòng lệnh",
    "import": "Nhập dữ liệu",
}


def day_vi(day: date | None) -> str:
    """``17/06/2024`` (empty for None)."""
    return "" if day is None else format_short(day)


def long_day_vi(day: date | None) -> str:
    """``Thứ Hai, 17/06/2024``."""
    return "" if day is None else f"{weekday_vi(day)}, {format_short(day)}"


def instant_vi(at: datetime | None) -> str:
    """``14:05 17/06/2024`` in Asia/Ho_Chi_Minh."""
    if at is None:
        return ""
    local = at.astimezone(LOCAL_TZ)
    return f"{local:%H:%M} {format_short(local.date())}"
