"""Plan intake: a new plan document (text, DOCX, PDF) → a cited draft plan file to review."""

from pcmd_workflow.intake.drafting import (
    TODO_RECIPIENT,
    TODO_REPORTER,
    Draft,
    DraftGroup,
    DraftObligation,
    DraftTarget,
    DraftUnit,
    build_draft,
)
from pcmd_workflow.intake.encodings import decode_text
from pcmd_workflow.intake.gazetteer import GazetteerEntry, UnitMatcher, load_gazetteer
from pcmd_workflow.intake.matching import fold, fold_mapped, slugify
from pcmd_workflow.intake.phrases import (
    find_cadences,
    find_cutoffs,
    find_dates,
    find_dues,
    find_periods,
    find_targets,
)
from pcmd_workflow.intake.reading import (
    Paragraph,
    SourceDocument,
    read_document,
    read_document_bytes,
)
from pcmd_workflow.intake.rendering import draft_report, render_draft

__all__ = [
    "TODO_RECIPIENT",
    "TODO_REPORTER",
    "Draft",
    "DraftGroup",
    "DraftObligation",
    "DraftTarget",
    "DraftUnit",
    "GazetteerEntry",
    "Paragraph",
    "SourceDocument",
    "UnitMatcher",
    "build_draft",
    "decode_text",
    "draft_report",
    "find_cadences",
    "find_cutoffs",
    "find_dates",
    "find_dues",
    "find_periods",
    "find_targets",
    "fold",
    "fold_mapped",
    "load_gazetteer",
    "read_document",
    "read_document_bytes",
    "render_draft",
    "slugify",
]
