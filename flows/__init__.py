"""Prefect flows: thin wrappers over pcmd_workflow.services."""
