"""The ``pcmd`` command line.

Every :class:`~pcmd_workflow.errors.PcmdError` becomes one clear line on stderr and exit
code 2; no traceback reaches the user.
"""

from __future__ import annotations

import os
import sys

import click
import sqlalchemy.exc
import typer
from typer._click.exceptions import ClickException as TyperClickException

# Command modules register themselves on import.
from pcmd_workflow.cli import (  # noqa: F401  (imported for their side effect)
    calendar_cmd,
    compile_cmd,
    flow_cmd,
    intake_cmd,
    notify_cmd,
    ops_cmd,
    plan_cmd,
    request_cmd,
    store_cmd,
    web_cmd,
    zalo_cmd,
)
from pcmd_workflow.cli.app import app
from pcmd_workflow.errors import PcmdError, PlanValidationError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pcmd`` script; returns the exit code the script exits with.

    Typer 0.29 ships its own copy of click, so both exception families are handled. An
    unexpected exception is reported on one line (``PCMD_DEBUG=1`` shows the traceback).
    """
    try:
        result = app(args=argv, prog_name="pcmd", standalone_mode=False)
    except PlanValidationError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return 2
    except PcmdError as exc:
        print(f"pcmd: error: {exc}", file=sys.stderr)
        return 2
    except (click.exceptions.Exit, typer.Exit) as exc:
        return int(exc.exit_code)
    except (click.ClickException, TyperClickException) as exc:
        exc.show()
        return 2
    except (click.exceptions.Abort, typer.Abort):
        print("pcmd: aborted", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
        # the database is down, restarted, locked beyond the busy timeout: nothing half-done
        # stays (the transaction rolled back), so the operator fixes it and runs it again
        cause = str(exc.orig or exc).strip().splitlines()
        print(
            f"pcmd: error: cơ sở dữ liệu không dùng được lúc này ({cause[0] if cause else exc}); "
            "giao dịch đã hủy, hãy chạy lại lệnh (database unavailable)",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:
        if os.environ.get("PCMD_DEBUG") == "1":
            raise
        print(f"pcmd: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0
