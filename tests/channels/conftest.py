"""Fixtures for the channel tests: real peers on loopback (see ``tests/fakes``)."""

from __future__ import annotations

from fakes.smtp_server import silent_smtp_port, smtp_server
from fakes.zalo_server import zalo_server, zalo_setup

__all__ = ["silent_smtp_port", "smtp_server", "zalo_server", "zalo_setup"]
