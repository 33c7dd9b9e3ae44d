"""Prefect flows: thin wrappers over :mod:`pcmd_workflow.services.engine`.

``daily_sweep`` (07:00 on working days), ``dispatch_outbox`` (every 10 minutes in working
hours), ``compile_after_deadline`` (00:30 after each period's last due date); their
schedules live in :mod:`flows.schedules`, their deployments in :mod:`flows.deployments`,
and :mod:`flows.calendar_sync` keeps the compilation runs in step with the due dates.
Submodules import Prefect; this package does not.
"""

__all__: list[str] = []
