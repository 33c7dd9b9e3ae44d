"""The security tests share the hardening helpers of tests/faults (``fault_support``)."""

from __future__ import annotations

import sys
from pathlib import Path

_FAULTS = str(Path(__file__).resolve().parents[1] / "faults")
if _FAULTS not in sys.path:
    sys.path.insert(0, _FAULTS)
