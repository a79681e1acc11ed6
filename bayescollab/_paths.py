"""Locate the packaged theory (``models/``) and elicitation settings (``priors/``).

In a source checkout or an editable install the top-level folders are used directly, so an
edit to ``priors/`` changes the model without reinstalling. A wheel carries copies of both
under ``bayescollab/_data``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _first_existing(name: str) -> Path:
    candidates = (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / "_data" / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"bayescollab data folder '{name}' not found; looked in: {tried}")


def models_dir() -> Path:
    """Folder holding the theory as data (nodes, CMOCs, scenarios)."""
    return _first_existing("models")


def priors_dir() -> Path:
    """Folder holding the evidence-grade mapping and other elicitation settings."""
    return _first_existing("priors")
