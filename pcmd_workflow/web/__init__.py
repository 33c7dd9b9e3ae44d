"""The web application: coordinator dashboard, agency portal and JSON API (FastAPI + Jinja2).

``create_app()`` is the one entry point (``pcmd serve`` and ``pcmd web`` call it)."""

from pcmd_workflow.web.app import create_app

__all__ = ["create_app"]
