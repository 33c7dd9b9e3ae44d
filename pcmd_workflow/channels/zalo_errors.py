"""Zalo API error codes, by class, and what each class means for a delivery.

Zalo answers most errors with HTTP 200 and ``{"error": <negative int>, "message": ...}``
(OA Open API v3 and ZNS API error tables). The classes below decide the outcome:

| class       | outcome                                                        |
|-------------|----------------------------------------------------------------|
| token       | refresh once and retry once; a second rejection → ``disabled``  |
| rate_limit  | ``transient``, retry at the next minute with jitter (≤ 3 tries) |
| quota       | ``reschedule`` after 00:00 local                                 |
| night       | ``reschedule`` at 06:00 local                                    |
| recipient   | ``unreachable``: fall back (CS → ZNS → e-mail), flag the contact |
| payload     | ``permanent``: dead-letter, tell the coordinator                 |
| config      | ``disabled``: stop the channel, alert an administrator            |
| transient   | ``transient`` with exponential backoff                           |
| unknown     | ``permanent``, the whole answer kept in the detail               |
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ZaloErrorClass", "classify_zalo_error"]


class ZaloErrorClass(StrEnum):
    token = "token"
    rate_limit = "rate_limit"
    quota = "quota"
    night = "night"
    recipient = "recipient"
    payload = "payload"
    config = "config"
    transient = "transient"
    unknown = "unknown"


_CODES: dict[ZaloErrorClass, frozenset[int]] = {
    ZaloErrorClass.token: frozenset({-216, -220, -124}),
    ZaloErrorClass.rate_limit: frozenset({-32}),
    ZaloErrorClass.quota: frozenset({-211, -115, -144, -147}),
    ZaloErrorClass.night: frozenset({-133, -234}),
    ZaloErrorClass.recipient: frozenset(
        {-230, -232, -213, -227, -244, -108, -114, -118, -119, -139, -141}
    ),
    ZaloErrorClass.payload: frozenset({-201, -109, -111, -112, -1121, -1122, -131, -146}),
    ZaloErrorClass.config: frozenset(
        {-204, -205, -209, -212, -221, -224, -101, -102, -103, -104, -105, -125, -135}
    ),
    ZaloErrorClass.transient: frozenset({-100}),
}

_BY_CODE: dict[int, ZaloErrorClass] = {
    code: error_class for error_class, codes in _CODES.items() for code in codes
}


def classify_zalo_error(code: int) -> ZaloErrorClass:
    """The class of a non-zero Zalo ``error`` code; unlisted codes are ``unknown``."""
    return _BY_CODE.get(code, ZaloErrorClass.unknown)
