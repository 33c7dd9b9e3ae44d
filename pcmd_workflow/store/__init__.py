"""The tracking store: SQLModel tables (``models``), engines and sessions (``db``), column
types (``types``) and the Alembic migrations (``migrations/``)."""

__all__ = ["db", "models", "types"]
