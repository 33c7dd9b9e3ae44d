"""services package."""

__all__: list[str] = []
