"""Contraction plans shipped with the package: a read-only layer in front of the user's PlanStore.

Why: a new user's first command runs with an empty plan store, and searching the plans of the
packaged model's standard questions (a scenario query, ``assess``, ``sensitivity``,
``explain``) costs seconds to minutes of randomised greedy search that every install would
repeat with the same result (the search is deterministic, :mod:`bayescollab.engine.plan`).
``scripts/make_plans.py`` runs those questions once against an empty store and writes what
it found to ``shipped_plans.json`` beside this module; a test fails when that file no longer
matches the plan format or the packaged model's structure.

The shipped plans obey the store's rules: each is looked up by the same key as a
:class:`~bayescollab.engine.plan.PlanStore` entry (a hash of expression, shapes and runs) and
verified against the query's own operands before use (:func:`~bayescollab.engine.plan.verify_plan`);
one that does not verify is ignored, and the user store (then a fresh search) answers instead.
Nothing is ever written to the shipped file at run time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from bayescollab.engine.plan import FORMAT, Plan, PlanStore, verify_plan

__all__ = [
    "SHIPPED_ENV",
    "SHIPPED_FILE",
    "LayeredPlanStore",
    "ShippedPlans",
    "shipped_plans",
    "structure_fingerprint",
]

SHIPPED_FILE = Path(__file__).with_name("shipped_plans.json")
#: environment variable: ``off`` ignores the shipped plans (scripts/make_plans.py, benchmarks)
SHIPPED_ENV = "BAYESCOLLAB_SHIPPED_PLANS"


class ShippedPlans:
    """Plans read from one JSON file: ``{"format": FORMAT, "structure": ..., "plans": {key: record}}``.

    The file is parsed on the first lookup. A missing or unreadable file, or one written for
    another plan format, is an empty layer.
    """

    def __init__(self, path: Path | str | None = SHIPPED_FILE):
        self.path = Path(path) if path is not None else None
        self._plans: dict[str, Any] | None = None if path is not None else {}
        self.header: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"ShippedPlans({str(self.path) if self.path else None!r})"

    @property
    def plans(self) -> dict[str, Any]:
        if self._plans is None and self.path is not None:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                ok = (
                    isinstance(raw, dict)
                    and raw.get("format") == FORMAT
                    and isinstance(raw.get("plans"), dict)
                )
            except (OSError, ValueError):
                raw, ok = {}, False
            self._plans = raw["plans"] if ok else {}
            self.header = {k: v for k, v in raw.items() if k != "plans"} if ok else {}
        return self._plans or {}

    def __len__(self) -> int:
        return len(self.plans)

    def load(self, expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> Plan | None:
        """The shipped plan for this query shape, verified against these operands; else None."""
        record = self.plans.get(PlanStore.key(expr, shapes, runs))
        if record is None:
            return None
        try:
            plan = Plan(
                [tuple(step) for step in record["path"]],
                float(record["multiply_adds"]),
                int(record["largest"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return plan if verify_plan(plan, expr, shapes) else None


def shipped_plans() -> ShippedPlans:
    """The package's shipped plans (one parsed copy per process); none when ``$BAYESCOLLAB_SHIPPED_PLANS``
    is ``off``."""
    if os.environ.get(SHIPPED_ENV, "").lower() == "off":
        return ShippedPlans(None)
    return _packaged()


@lru_cache(maxsize=1)
def _packaged() -> ShippedPlans:
    return ShippedPlans()


class LayeredPlanStore:
    """The shipped plans first, then the user's :class:`PlanStore` (if any), which alone is written.

    It offers what :class:`~bayescollab.engine.plan.Planner` asks of a store: ``load`` and ``save``.
    """

    def __init__(self, shipped: ShippedPlans, user: PlanStore | None):
        self.shipped = shipped
        self.user = user

    def __repr__(self) -> str:
        return f"LayeredPlanStore({self.shipped!r}, {self.user!r})"

    @property
    def folder(self) -> Path | None:
        """The user store's folder (where new plans go), or None."""
        return self.user.folder if self.user is not None else None

    def load(self, expr: str, shapes: Sequence[tuple[int, ...]], runs: int = 1) -> Plan | None:
        plan = self.shipped.load(expr, shapes, runs)
        if plan is None and self.user is not None:
            plan = self.user.load(expr, shapes, runs)
        return plan

    def save(self, expr: str, shapes: Sequence[tuple[int, ...]], plan: Plan, runs: int = 1) -> None:
        if self.user is not None:
            self.user.save(expr, shapes, plan, runs)


def structure_fingerprint(parents: Mapping[str, Sequence[str]], cards: Mapping[str, int]) -> str:
    """A hash of the network's structure (nodes in order, their parents, their state counts) and
    the plan format: what the shipped plans depend on. Changed CPT numbers keep it."""
    rows = [[node, list(parents[node]), int(cards[node])] for node in parents]
    return hashlib.sha256(json.dumps([FORMAT, rows]).encode("utf-8")).hexdigest()[:32]
