"""Use cases over the store: each takes a session and a clock (docs/design/interfaces.md).

Modules: ``plans`` (load plans, materialise tasks), ``tasks`` (statuses at an instant),
``submissions`` (submit, review, extend, excuse, audit), and the others listed in the
interfaces document.
"""

__all__ = ["plans", "submissions", "tasks"]
