"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README has a Python example"
    namespace: dict = {}
    for block in blocks:  # later blocks build on the first one's names, as a reader would
        exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "P(collaborative_behaviour | collaboration_form=integrated_care_system" in out
    assert "evidence, by how much the answer would change without it" in out
    assert namespace["draws"].dims == ("draw", "collaborative_behaviour")
    assert namespace["batch"].sizes["case"] == 2
