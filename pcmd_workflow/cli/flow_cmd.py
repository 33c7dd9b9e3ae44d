"""Commands of this group are attached to ``pcmd_workflow.cli.app`` objects on import."""

from __future__ import annotations
