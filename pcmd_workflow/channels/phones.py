"""Vietnamese mobile numbers in the ``84…`` form that ZNS expects.

ZNS addresses a message by phone number in international form without ``+``
(``84`` followed by the 9-digit subscriber number, Zalo ZNS API "phone"). Non-digits
are stripped and a leading ``0`` (domestic trunk prefix) becomes ``84``; anything
that does not then read ``84`` + 9 digits is an invalid contact: reported, never sent.
"""

from __future__ import annotations

import re

__all__ = ["normalise_phone"]

_NON_DIGITS = re.compile(r"\D+")
_VALID = re.compile(r"^84\d{9}$")


def normalise_phone(raw: str) -> str | None:
    """``"0912 345 678"`` → ``"84912345678"``; ``None`` when not a valid Vietnamese number."""
    digits = _NON_DIGITS.sub("", raw)
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if _VALID.match(digits) else None
