"""The one exception tree of pcmd.

Every error a user can cause is a :class:`PcmdError`; the CLI prints its message on one
line and exits with code 2, the web layer turns it into a 4xx answer. Each message says
what was wrong and, where it helps, what to do.

```
PcmdError
├── ConfigError                 settings, missing or unsafe configuration
├── CalendarError(ValueError)   impossible dates, years out of range, unknown due rules
├── PlanError(ValueError)       a plan file that does not validate
│   └── PlanValidationError     several located problems at once (file:line: field: what)
├── StoreError                  database state
│   ├── NotFound(LookupError)   unknown task, plan, unit, notice
│   └── Conflict                an action that the task's state does not allow
├── SubmissionRejected(ValueError)   values or files that fail the form (lists every problem)
├── ChannelError                a notification channel failed
│   ├── TransientChannelError   worth retrying (timeouts, 5xx, rate limits)
│   └── PermanentChannelError   never retry (bad recipient, bad template)
├── CompilationError            a roll-up that cannot be computed
├── IntakeError(ValueError)     a plan document that cannot be read
└── AuthError(PermissionError)  a missing, expired or foreign token or session
```
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AuthError",
    "CalendarError",
    "ChannelError",
    "CompilationError",
    "ConfigError",
    "Conflict",
    "IntakeError",
    "Located",
    "NotFound",
    "PcmdError",
    "PermanentChannelError",
    "PlanError",
    "PlanValidationError",
    "StoreError",
    "SubmissionRejected",
    "TransientChannelError",
]


class PcmdError(Exception):
    """Base of every error pcmd raises on purpose."""


class ConfigError(PcmdError):
    """Settings are missing, inconsistent or unsafe."""


class CalendarError(PcmdError, ValueError):
    """An impossible date, a year outside 2000-2099, or a due rule that does not parse."""


class PlanError(PcmdError, ValueError):
    """A plan file is not valid."""


@dataclass(frozen=True, kw_only=True)
class Located:
    """One problem at one place of a file: ``FILE:LINE: field.path: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class PlanValidationError(PlanError):
    """Every problem found in a plan file, each with its file, line and field."""

    def __init__(self, problems: Sequence[Located]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(PcmdError):
    """The database is not in the state an action needs."""


class NotFound(StoreError, LookupError):
    """An unknown task, plan, unit or notice."""


class Conflict(StoreError):
    """An action the current state does not allow (e.g. excusing a submitted task)."""


class SubmissionRejected(PcmdError, ValueError):
    """A submission that fails its form; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems) or "submission rejected")


class ChannelError(PcmdError):
    """A notification channel failed."""


class TransientChannelError(ChannelError):
    """A failure worth retrying later (timeout, 5xx, rate limit)."""


class PermanentChannelError(ChannelError):
    """A failure that retrying cannot fix (invalid recipient, rejected template)."""


class CompilationError(PcmdError):
    """A roll-up that cannot be computed."""


class IntakeError(PcmdError, ValueError):
    """A plan document that cannot be read (encoding, format)."""


class AuthError(PcmdError, PermissionError):
    """A missing, expired, tampered or foreign token or session."""
