"""Shared TLS contexts for Apprise's e-mail plugin.

Apprise 1.13's e-mail ``send`` calls ``ssl.create_default_context()`` for every message,
which loads the whole system CA store (about 0.1 s per message on a small server) even
when the connection never uses TLS. :func:`install` gives that module a stand-in for
``ssl`` whose ``create_default_context()`` returns a deferred context: the settings the
plugin applies (``check_hostname``, ``verify_mode``) are recorded, and the real context
is taken, only when a handshake needs it, from a cache keyed by those settings. The
verification the plugin asks for is kept exactly; only the repeated loading goes.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from types import ModuleType
from typing import Any

__all__ = ["install"]


@lru_cache(maxsize=8)
def _context_for(settings: tuple[tuple[str, Any], ...]) -> ssl.SSLContext:
    context = ssl.create_default_context()
    for name, value in settings:  # in the order the plugin set them
        setattr(context, name, value)
    return context


class _DeferredContext:
    """Stands for ``ssl.create_default_context()`` until the context is really used."""

    def __init__(self) -> None:
        object.__setattr__(self, "_settings", {})

    def __setattr__(self, name: str, value: Any) -> None:
        self._settings[name] = value

    def __getattr__(self, name: str) -> Any:
        settings = object.__getattribute__(self, "_settings")
        if name in settings:
            return settings[name]
        return getattr(_context_for(tuple(settings.items())), name)


class _SslStandIn:
    """The ``ssl`` module, except for a deferred, cached ``create_default_context()``."""

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    def create_default_context(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return ssl.create_default_context(*args, **kwargs)
        return _DeferredContext()


def install(module: ModuleType) -> bool:
    """Give ``module`` the stand-in for ``ssl`` (idempotent); False if it has no ``ssl``."""
    current = getattr(module, "ssl", None)
    if isinstance(current, _SslStandIn):
        return True
    if current is not ssl:
        return False
    module.ssl = _SslStandIn()  # type: ignore[attr-defined]
    return True
