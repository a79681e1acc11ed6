"""The layering of docs/architecture.md, checked on the package's own imports (AST, no import).

Every ``import`` and ``from ... import`` in ``bayescollab/`` counts, at module level or inside a
function (a function-level import hides a dependency, it does not remove it); only imports
under ``if TYPE_CHECKING:`` are left out, as they never run.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayescollab"

#: lowest first; a module may import its own layer or a lower one (docs/architecture.md)
LAYERS: dict[str, tuple[str, ...]] = {
    "base": ("errors", "_paths", "_random", "_version", "_validate", "_output", "_cache_files", "allocator"),
    "theory": ("theory",),
    "elicit": ("elicit",),
    "engine": ("engine",),
    "model": ("setting", "cases", "results", "compiled", "pgmpy_bridge", "posterior", "model_cache", "model"),
    "survey": ("survey", "explain"),
    "sensitivity": ("sensitivity", "effects", "claims", "effects_report"),
    "plots": ("plots",),
    "report": ("report",),
    "app": ("viz", "cli", "__main__", "__init__"),
}
#: above the door: these never import the engine, only Model / Setting / CompiledQuery
NO_ENGINE = ("survey", "sensitivity", "plots", "report", "app")
RANK = {layer: i for i, layer in enumerate(LAYERS)}


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    """The layer of ``bayescollab.x.y`` (``bayescollab`` itself is the app's facade)."""
    first = module.split(".")[1] if "." in module else "__init__"
    for layer, members in LAYERS.items():
        if first in members:
            return layer
    raise AssertionError(f"{module} belongs to no layer; add it to LAYERS and docs/architecture.md")


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, imported bayescollab module) for every runtime import in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    here = _module_name(path, package).split(".")
    is_package = path.name == "__init__.py"
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "bayescollab"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "bayescollab":
                continue
            if target == "bayescollab":  # from bayescollab import x: x is a module or a facade name
                for a in node.names:
                    is_module = (package / f"{a.name}.py").is_file() or (package / a.name).is_dir()
                    out.append((node.lineno, f"bayescollab.{a.name}" if is_module else "bayescollab"))
            else:
                out.append((node.lineno, target))
    return out


def _all_imports() -> dict[str, list[tuple[int, str]]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _violations() -> list[str]:
    found = []
    for module, imports in _all_imports().items():
        mine = _layer(module)
        for line, target in imports:
            theirs = _layer(target)
            where = f"{module} (line {line}) imports {target}"
            if RANK[theirs] > RANK[mine]:
                found.append(f"{where}: layer {mine!r} may not import the higher layer {theirs!r}")
            if mine in NO_ENGINE and theirs == "engine":
                found.append(f"{where}: {mine!r} code goes through Model, never the engine")
    return found


def test_no_layer_imports_a_higher_one() -> None:
    assert _violations() == []


def test_the_check_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    """The checker itself: hidden imports inside a function are found, TYPE_CHECKING ones not."""
    path = tmp_path / "bayescollab" / "theory" / "x.py"
    path.parent.mkdir(parents=True)
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bayescollab.cli import app\n"
        "def f():\n    from bayescollab.model import Model\n    from ..engine import exact\n"
    )
    got = [t for _, t in _imports(path, tmp_path / "bayescollab")]
    assert got == ["bayescollab.model", "bayescollab.engine"]
    assert _layer("bayescollab.model") == "model" and RANK["theory"] < RANK["model"]


def test_no_import_circles_between_modules() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    modules = set(_all_imports())
    for module, imports in _all_imports().items():
        for _, target in imports:
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]  # a name imported from a module
            if target != module and target in modules:
                graph[module].add(target)
    # a package __init__ re-exporting its modules is not a circle with them
    for module in list(graph):
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif not state.get(nxt):
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(modules):
        if not state.get(node):
            visit(node, [node])
    assert cycles == []


def _public_modules() -> list[str]:
    return [
        m
        for m in sorted(_all_imports())
        if not any(part.startswith("_") for part in m.split(".")[1:]) and m != "bayescollab.__main__"
    ]


@pytest.mark.parametrize("module", _public_modules())
def test_every_name_in_all_resolves(module: str) -> None:
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.__all__ lists {name!r}, which it does not define"


def test_sensitivity_does_not_load_matplotlib() -> None:
    import subprocess
    import sys

    code = "import sys, bayescollab.sensitivity, bayescollab.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_function_survives_importing_its_namesake_module() -> None:
    """``bc.explain`` stays the function after ``bayescollab.explain`` (the module) is imported."""
    import bayescollab as bc
    import bayescollab.explain

    assert callable(bc.explain) and bc.explain.__name__ == "explain"
