"""The generated parts of docs/ match the data: each generator in scripts/ reproduces its output."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import bayescollab as bc

REPO = Path(__file__).resolve().parents[1]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_worked_node_is_current(model: bc.Model) -> None:
    doc = REPO / "docs" / "elicitation.md"
    assert doc.read_text(encoding="utf-8") == _script("docs_elicitation").update_document(doc, model), (
        "docs/elicitation.md is stale: run `.venv/bin/python scripts/docs_elicitation.py`"
    )


def test_theory_doc_is_current(theory: bc.Theory) -> None:
    doc = (REPO / "docs" / "theory.md").read_text(encoding="utf-8")
    assert doc == _script("docs_theory").render_theory_markdown(theory), (
        "docs/theory.md is stale: run `.venv/bin/python scripts/docs_theory.py > docs/theory.md`"
    )


def test_elicitation_script_updates_a_copy(tmp_path: Path) -> None:
    """The script writes the document it is given (not the package's own folder)."""
    doc = tmp_path / "elicitation.md"
    script = _script("docs_elicitation")
    doc.write_text(f"intro\n{script.BEGIN}\nstale\n{script.END}\noutro\n", encoding="utf-8")
    script.main(["--doc", str(doc)])
    text = doc.read_text(encoding="utf-8")
    assert "stale" not in text and "Worked node: `initial_trust`" in text and text.endswith("outro\n")
