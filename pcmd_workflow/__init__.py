"""pcmd: deadline tracking for the reporting duties of the PCMD programme.

Public entry points live in the subpackages: ``domain`` (pure calendar, periods, due rules,
plan schema), ``store`` (database), ``services`` (use cases), ``channels`` (notifications),
``web`` (dashboard and portal), ``intake`` (drafting plan files from documents).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
