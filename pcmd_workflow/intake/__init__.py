"""intake package."""

__all__: list[str] = []
