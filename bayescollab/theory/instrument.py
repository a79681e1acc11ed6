"""The survey instrument: items that measure nodes of the theory, read from ``models/instrument.csv``.

The file is part of the theory as data, so it loads and validates here, beside the other
files of ``models/`` (``bayescollab validate`` checks it); :mod:`bayescollab.survey.instrument`
re-exports it for the survey code.

Each item measures one node on one of three scales:

``likert5``
    agreement with a statement, 1 = strongly disagree … 5 = strongly agree. ``reverse`` is read
    against the node's state order (low → high): a plain item's agreement points to the node's
    last state, a reversed item's to its first. For the mechanisms that is the usual meaning (a
    negatively worded statement); for a context such as ``resource_capacity``
    (``adequate, constrained``) a statement about having enough resources is the reversed one.
``maturity3``
    a choice among the pathological / bureaucratic / generative descriptions of a maturity-matrix
    element (002 Table 11); the levels are the node's states ``low, medium, high``.
``choice``
    a factual context reported directly: one option per state of the node, in state order.

Answer codes are 0-based: likert ``1..5`` is code ``0..4``; for ``maturity3`` and ``choice`` the
code is the index of the node's state, so it can index the model's state arrays directly.
"""

from __future__ import annotations

import csv
import functools
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayescollab._paths import models_dir
from bayescollab.errors import InstrumentError, Problem, UnknownNameError
from bayescollab.theory.core import Theory
from bayescollab.theory.load import load_theory
from bayescollab.theory.validate import location_key

__all__ = [
    "INSTRUMENT_FILE",
    "LIKERT5_LABELS",
    "MATURITY3_LEVELS",
    "RESERVED_COLUMNS",
    "SCALES",
    "Instrument",
    "Item",
    "Option",
    "instrument_path",
    "load_instrument",
]

INSTRUMENT_FILE = "instrument.csv"
#: agreement labels in code order (code 0 = "strongly disagree", printed as 1)
LIKERT5_LABELS = ("strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree")
#: maturity-matrix levels in code order; they map onto a node's states low, medium, high
MATURITY3_LEVELS = ("pathological", "bureaucratic", "generative")
SCALES = ("likert5", "maturity3", "choice")
#: survey CSV columns that are not items
RESERVED_COLUMNS = ("respondent_id", "collaboration_id", "organisation")
COLUMNS = ("item_id", "node", "scale", "reverse", "wording", *MATURITY3_LEVELS, "choices", "source")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Option:
    """One answer option: the canonical ``answer`` word and the ``text`` the respondent reads."""

    answer: str
    text: str


@dataclass(frozen=True)
class Item:
    """One survey question. ``options`` are in code order (code 0 first)."""

    item_id: str
    node: str
    scale: str
    wording: str
    options: tuple[Option, ...]
    reverse: bool
    node_states: tuple[str, ...]
    seed: str
    location: str

    @property
    def n_options(self) -> int:
        return len(self.options)

    @property
    def source(self) -> str:
        return f"{self.seed}: {self.location}"

    @property
    def agree_state(self) -> str | None:
        """For ``likert5``: the node state that agreement points to; ``None`` for other scales."""
        if self.scale != "likert5":
            return None
        return self.node_states[0] if self.reverse else self.node_states[-1]

    def state_of(self, code: int) -> str:
        """The node state an answer code names (``maturity3`` and ``choice`` items only)."""
        if self.scale == "likert5":
            raise ValueError(f"item {self.item_id!r} is likert5; its answers do not name a state")
        if not 0 <= code < self.n_options:
            raise ValueError(
                f"code {code} out of range for item {self.item_id!r}; expected 0..{self.n_options - 1}"
            )
        return self.node_states[code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "node": self.node,
            "scale": self.scale,
            "reverse": self.reverse,
            "agree_state": self.agree_state,
            "wording": self.wording,
            "options": [
                {"code": code, "number": code + 1, "answer": o.answer, "text": o.text}
                for code, o in enumerate(self.options)
            ],
            "source": {"seed": self.seed, "location": self.location},
        }


@dataclass(frozen=True)
class Instrument:
    """The validated instrument: items in file order, looked up by id."""

    items: tuple[Item, ...]
    path: Path
    _by_id: dict[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {item.item_id: item for item in self.items})

    def __getitem__(self, item_id: str) -> Item:
        try:
            return self._by_id[item_id]
        except KeyError:
            raise UnknownNameError("item", item_id, list(self.item_ids)) from None

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.item_id for item in self.items)

    @property
    def nodes(self) -> tuple[str, ...]:
        """Measured nodes, in order of their first item."""
        return tuple(dict.fromkeys(item.node for item in self.items))

    def items_for(self, node: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.node == node)

    def csv_header(self) -> list[str]:
        """The survey CSV header: the reserved columns, then one column per item."""
        return [*RESERVED_COLUMNS, *self.item_ids]

    def to_text(self, width: int = 100) -> str:
        """The questionnaire, grouped by node, with each scale's options and answer numbers."""
        wrap = functools.partial(textwrap.fill, width=width, break_on_hyphens=False)
        scale = "  ".join(f"{n} {label}" for n, label in enumerate(LIKERT5_LABELS, start=1))
        out = [
            f"Survey instrument: {len(self.items)} items measuring {len(self.nodes)} nodes ({self.path})",
            "Answer with the option number or its word; leave the cell blank if unanswered.",
            f"likert5 items: {scale}",
        ]
        for node in self.nodes:
            items = self.items_for(node)
            out += ["", f"{node}  (states: {', '.join(items[0].node_states)})"]
            for item in items:
                tag = item.scale
                if item.scale == "likert5":
                    tag += f", agreement points to {item.agree_state}"
                    tag += ", reversed" if item.reverse else ""
                out.append(
                    wrap(
                        f"{item.item_id} [{tag}] {item.wording}",
                        initial_indent="  ",
                        subsequent_indent="      ",
                    )
                )
                if item.scale != "likert5":
                    for number, option in enumerate(item.options, start=1):
                        line = f"{number} {option.answer}: {option.text}"
                        out.append(wrap(line, initial_indent="      ", subsequent_indent="          "))
                out.append(
                    wrap(f"source: {item.source}", initial_indent="      ", subsequent_indent="          ")
                )
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": str(self.path),
            "n_items": len(self.items),
            "scales": {
                "likert5": list(LIKERT5_LABELS),
                "maturity3": list(MATURITY3_LEVELS),
                "choice": "one of the node's states",
            },
            "coding": "0-based: code = printed option number - 1; maturity3 and choice codes are "
            "the node's state index",
            "csv_header": self.csv_header(),
            "nodes": {node: [i.item_id for i in self.items_for(node)] for node in self.nodes},
            "items": [item.to_dict() for item in self.items],
        }


def instrument_path() -> Path:
    """The packaged instrument file."""
    return models_dir() / INSTRUMENT_FILE


def load_instrument(path: Path | str | None = None, *, theory: Theory | None = None) -> Instrument:
    """Read and validate the instrument (default: the packaged ``models/instrument.csv``).

    Parameters
    ----------
    path
        An instrument CSV with the columns ``item_id, node, scale, reverse, wording,
        pathological, bureaucratic, generative, choices, source``. Default: ``instrument.csv``
        in the theory's folder.
    theory
        The theory the items must fit (default: the packaged theory, loaded here).

    Raises
    ------
    InstrumentError
        Listing every problem: unknown node or scale, repeated or malformed item id, options
        that do not fit the node's states, a source outside the seed index.
    """
    if theory is None:
        theory = load_theory()
    if path is None:
        path = theory.root / INSTRUMENT_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no {INSTRUMENT_FILE} beside the theory in {theory.root}; give its path")
    path = Path(path)
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            records = [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError as exc:
        raise InstrumentError([Problem(name, "file", f"not UTF-8 text: {exc}")]) from None
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise InstrumentError(
            [
                Problem(
                    name,
                    "header",
                    f"missing columns {missing}; unknown columns {unknown}; expected {list(COLUMNS)}",
                )
            ]
        )
    problems: list[Problem] = []
    items: list[Item] = []
    seen: dict[str, int] = {}
    for line, row in records:
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        entry = f"line {line}, item_id={cells['item_id'] or '?'}"
        errors = list(_check_row(cells, theory))
        item_id = cells["item_id"]
        if item_id in seen:
            errors.append(f"item id repeats line {seen[item_id]}")
        seen.setdefault(item_id, line)
        if errors:
            problems.extend(Problem(name, entry, e) for e in errors)
            continue
        items.append(_build_item(cells, theory))
    if not records:
        problems.append(Problem(name, "file", "no items after the header"))
    if problems:
        raise InstrumentError(problems)
    return Instrument(items=tuple(items), path=path)


def _parse_choices(text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.split("|"):
        state, sep, label = part.partition("=")
        if not sep or not state.strip() or not label.strip():
            raise ValueError(f"choices entry {part.strip()!r} is not STATE=TEXT")
        pairs.append((state.strip(), label.strip()))
    return pairs


def _check_row(cells: dict[str, str], theory: Theory) -> Iterator[str]:
    item_id, node_id, scale = cells["item_id"], cells["node"], cells["scale"]
    if not _ID.match(item_id):
        yield f"item id {item_id!r} must be lower-case letters, digits and '_' (starting with a letter)"
    if item_id in RESERVED_COLUMNS:
        yield f"item id {item_id!r} is a reserved survey column ({', '.join(RESERVED_COLUMNS)})"
    if not cells["wording"]:
        yield "wording is empty"
    if cells["reverse"] not in ("", "true", "false"):
        yield f"reverse must be true, false or blank; got {cells['reverse']!r}"
    if scale not in SCALES:
        yield f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}"
    if cells["reverse"] == "true" and scale != "likert5":
        yield "only likert5 items can be reversed"
    node = theory.nodes.get(node_id)
    if node is None:
        close = UnknownNameError("node", node_id, list(theory.nodes)).choices[:5]
        yield (
            f"unknown node {node_id!r}; the item must measure a node of the theory "
            f"(closest: {', '.join(close)})"
        )
    levels = [cells[level] for level in MATURITY3_LEVELS]
    if scale == "maturity3":
        if not all(levels):
            yield f"maturity3 items need all three descriptions ({', '.join(MATURITY3_LEVELS)})"
        if cells["choices"]:
            yield "maturity3 items take no choices"
        if node is not None and list(node.states) != ["low", "medium", "high"]:
            yield f"maturity3 needs a node with states low, medium, high; {node_id!r} has {node.states}"
    elif any(levels):
        yield f"only maturity3 items take {', '.join(MATURITY3_LEVELS)} descriptions"
    if scale == "choice":
        try:
            states = [s for s, _ in _parse_choices(cells["choices"])]
        except ValueError as exc:
            yield str(exc)
        else:
            if node is not None and states != list(node.states):
                yield f"choices must list the states of {node_id!r} in order {node.states}; got {states}"
    elif cells["choices"]:
        yield "only choice items take choices"
    if scale == "likert5" and node is not None and not node.ordered:
        yield f"likert5 needs an ordered node; {node_id!r} is unordered (use a choice item)"
    seed, sep, location = cells["source"].partition(": ")
    entry = theory.seed_index.get(seed)
    if not sep or entry is None:
        seeds = sorted(theory.seed_index)
        yield f"source {cells['source']!r} must be 'SEED_FILE: LOCATION' with a seed of {seeds}"
    elif location_key(location) not in {location_key(k.location) for k in entry.locations}:
        yield f"location {location!r} is not a known place in {seed}; seed_index.yaml lists them"


def _build_item(cells: dict[str, str], theory: Theory) -> Item:
    node = theory.nodes[cells["node"]]
    scale = cells["scale"]
    if scale == "likert5":
        options = tuple(Option(label, label) for label in LIKERT5_LABELS)
    elif scale == "maturity3":
        options = tuple(Option(level, cells[level]) for level in MATURITY3_LEVELS)
    else:
        options = tuple(Option(state, text) for state, text in _parse_choices(cells["choices"]))
    seed, _, location = cells["source"].partition(": ")
    return Item(
        item_id=cells["item_id"],
        node=node.id,
        scale=scale,
        wording=cells["wording"],
        options=options,
        reverse=cells["reverse"] == "true",
        node_states=tuple(node.states),
        seed=seed,
        location=location,
    )
