"""Contraction plans kept on disk, so a new process does not search for them again.

Finding a good contraction order for a query on the packaged model takes 0.1-2 s of randomised
search, the query itself often 10-40 ms. The CLI starts a new process per command, and
``assess`` asks dozens of differently shaped queries, so without this store it would spend
most of its time re-planning. A plan depends only on the einsum expression and the operand
shapes, which together form the key (hashed); it is stored as JSON.

Set ``BAYESCOLLAB_PLAN_CACHE`` to a folder to move the store, or to ``off`` to disable it.
Any unreadable entry is ignored and planned afresh; a failed write is silent (the store is an
optimisation, never a source of truth).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENV = "BAYESCOLLAB_PLAN_CACHE"
#: bump when the executor's reading of a path changes
FORMAT = 1


def folder() -> Path | None:
    setting = os.environ.get(ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bayescollab" / "plans"


def _key(expr: str, shapes: list[tuple[int, ...]]) -> str:
    text = json.dumps([FORMAT, expr, [list(s) for s in shapes]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def load(expr: str, shapes: list[tuple[int, ...]]) -> Any:
    """The stored plan for this expression and these shapes, or ``None``."""
    from bayescollab.engine.exact import Plan

    where = folder()
    if where is None:
        return None
    try:
        raw = json.loads((where / f"{_key(expr, shapes)}.json").read_text(encoding="utf-8"))
        if raw["expr"] != expr or raw["shapes"] != [list(s) for s in shapes]:
            return None  # a hash collision or a stale file
        return Plan([tuple(step) for step in raw["path"]], float(raw["multiply_adds"]), int(raw["largest"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(expr: str, shapes: list[tuple[int, ...]], plan: Any) -> None:
    """Store ``plan`` atomically (write to a temporary file, then rename)."""
    where = folder()
    if where is None:
        return
    record = {
        "expr": expr,
        "shapes": [list(s) for s in shapes],
        "path": [list(step) for step in plan.path],
        "multiply_adds": plan.multiply_adds,
        "largest": plan.largest_intermediate,
    }
    try:
        where.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=where, suffix=".tmp", delete=False, encoding="utf-8") as fh:
            json.dump(record, fh)
        os.replace(fh.name, where / f"{_key(expr, shapes)}.json")
    except OSError:
        return
