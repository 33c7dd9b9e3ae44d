"""channels package."""

__all__: list[str] = []
