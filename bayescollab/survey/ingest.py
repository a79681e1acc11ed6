"""Read a survey CSV into a table of coded answers, refusing bad files with line-and-column messages.

The file: UTF-8 (a byte-order mark is fine), comma-separated, a header row, then one row per
respondent. Columns: ``respondent_id`` (required), ``collaboration_id`` and ``organisation``
(optional), then one column per instrument item, in any order. An item column may be left out
(all its answers are then missing); a blank cell is an unanswered item and stays missing.

Accepted answers (case and spacing do not matter; ``_``, ``-`` and spaces are interchangeable):

=============  ==============================================================================
``likert5``    ``1``-``5`` or ``strongly disagree``, ``disagree``, ``neither agree nor
               disagree`` (also ``neutral``), ``agree``, ``strongly agree``
``maturity3``  ``1``-``3`` or ``pathological``, ``bureaucratic``, ``generative``
``choice``     the option number ``1``-``k`` or the node's state, e.g. ``integrated_care_system``
=============  ==============================================================================

Numbers are the option numbers printed by ``bayescollab instrument`` (1-based); ``4.0`` is read
as ``4``. The returned codes are 0-based (see :mod:`bayescollab.survey.instrument`).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bayescollab.errors import SurveyError, SurveyProblem
from bayescollab.survey.instrument import RESERVED_COLUMNS, Instrument, Item, load_instrument

__all__ = ["DEFAULT_COLLABORATION", "answer_lookup", "describe_survey", "read_survey", "write_survey"]

#: collaboration of respondents with no (or a blank) ``collaboration_id``: they form one collaboration
DEFAULT_COLLABORATION = "default"
_LIKERT_ALIASES = {"neutral": 2, "neither": 2}
_NUMBER = re.compile(r"^(\d+)(?:\.0+)?$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line ends csv itself knows
_FOREIGN_DELIMITERS = {";": "';' (semicolon)", "\t": "a tab", "|": "'|' (pipe)"}
_SAVE_AS = "save it as comma-separated UTF-8 text (in Excel: 'CSV UTF-8 (Comma delimited)')"


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def answer_lookup(item: Item) -> dict[str, int]:
    """Normalised accepted answer -> 0-based code, for one item."""
    table: dict[str, int] = {}
    for code, option in enumerate(item.options):
        table[str(code + 1)] = code
        table[_norm(option.answer)] = code
    if item.scale == "likert5":
        table.update(_LIKERT_ALIASES)
    return table


def _expected(item: Item) -> str:
    words = [o.answer for o in item.options]
    if item.scale == "likert5":
        words[2] += " (or neutral)"
    return f"1-{item.n_options} or {', '.join(words)}, or a blank cell if unanswered"


def _utf16_without_bom(raw: bytes) -> str | None:
    """'little-endian' / 'big-endian' when NUL bytes sit on one side of most characters (ASCII in UTF-16)."""
    sample = raw[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.8 * len(sample[1::2]) and even < 0.2 * len(sample[0::2]):
        return "little-endian"
    if even > 0.8 * len(sample[0::2]) and odd < 0.2 * len(sample[1::2]):
        return "big-endian"
    return None


def _decode(raw: bytes, source: str) -> str:
    def fail(line: int | None, column: str | None, message: str, value: str | None = None) -> SurveyError:
        return SurveyError(source, [SurveyProblem(line, column, message, value)])

    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise fail(None, None, f"the file is UTF-32 text; expected UTF-8: {_SAVE_AS}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(None, None, f"the file is UTF-16 text; expected UTF-8: {_SAVE_AS}")
    if raw.startswith(b"PK\x03\x04"):
        raise fail(None, None, f"the file looks like an Excel workbook, not CSV text; {_SAVE_AS}")
    endian = _utf16_without_bom(raw)
    if endian is not None:
        message = f"the file is UTF-16 text ({endian}, without a byte-order mark); expected UTF-8"
        raise fail(None, None, f"{message}: {_SAVE_AS}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column, value = _locate_byte(raw, exc.start)
        raise fail(
            line,
            column,
            f"byte {raw[exc.start : exc.end].hex(' ')} in {value!r} is not UTF-8 (the file may be "
            f"Windows-1252 or Latin-1); expected UTF-8 text: {_SAVE_AS}",
            value,
        ) from None


def _split_cells(text: str) -> list[str]:
    """One physical line as CSV cells, never raising (a stray quote just stays in the cell)."""
    try:
        return next(csv.reader([text.replace("\r", " ").replace("\n", " ")]), [])
    except csv.Error:  # pragma: no cover - non-strict parsing of one line does not raise
        return text.split(",")


def _locate_byte(raw: bytes, offset: int) -> tuple[int, str | None, str]:
    """(file line, column name, cell text) of the byte at ``offset``; any line ending (LF, CRLF, CR)."""
    lines = raw.splitlines(keepends=True) or [raw]
    start = 0
    for number, physical in enumerate(lines, start=1):
        if start + len(physical) > offset or number == len(lines):
            break
        start += len(physical)
    row = physical.rstrip(b"\r\n").decode("utf-8", "replace")
    prefix = raw[start:offset].decode("utf-8", "replace")
    index = max(len(_split_cells(prefix)) - 1, 0)
    cells = _split_cells(row)
    value = cells[index].strip() if 0 <= index < len(cells) else row.strip()
    header = _split_cells(lines[0].rstrip(b"\r\n").decode("utf-8-sig", "replace"))
    column = header[index].strip() if number > 1 and 0 <= index < len(header) else None
    return number, column, value


def _check_header(header: list[str], instrument: Instrument) -> list[SurveyProblem]:
    problems: list[SurveyProblem] = []
    for char, name in _FOREIGN_DELIMITERS.items():
        if any(char in cell for cell in header):
            return [
                SurveyProblem(
                    1,
                    None,
                    f"the header is separated by {name}, not commas; expected comma-separated "
                    f"values: {_SAVE_AS}",
                )
            ]
    valid = [*RESERVED_COLUMNS, *instrument.item_ids]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(
                SurveyProblem(1, None, f"header cell {position} is empty; every column needs a name")
            )
            continue
        if name in seen:
            problems.append(
                SurveyProblem(
                    1, name, f"column appears twice in the header (cells {seen[name]} and {position})"
                )
            )
        seen.setdefault(name, position)
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3, cutoff=0.6)
            hint = f" (closest: {', '.join(close)})" if close else ""
            problems.append(
                SurveyProblem(
                    1,
                    name,
                    f"unknown column {name!r}{hint}; expected {', '.join(RESERVED_COLUMNS)} or an item id "
                    "of the instrument (`bayescollab instrument --csv-template` prints the header)",
                    name,
                )
            )
    if "respondent_id" not in seen:
        problems.append(
            SurveyProblem(
                1,
                None,
                "no 'respondent_id' column; expected a header with respondent_id, optionally "
                "collaboration_id and organisation, then item ids",
            )
        )
    if not any(name in instrument for name in seen):
        problems.append(
            SurveyProblem(1, None, "no item columns; expected at least one item id of the instrument")
        )
    return problems


def read_survey(path: Path | str, instrument: Instrument | None = None) -> pd.DataFrame:
    """Read a survey CSV into one row per respondent with 0-based answer codes.

    Parameters
    ----------
    path
        The survey CSV (format in the module docstring and ``docs/survey.md``).
    instrument
        The instrument the columns belong to (default: the packaged one).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``line``, the file line on which the respondent's row starts (the header is
        line 1). Columns ``respondent_id``, ``collaboration_id`` (``"default"`` where absent or
        blank), ``organisation`` (missing where absent or blank), then one ``Int64`` column per
        instrument item in instrument order; an unanswered item is ``<NA>``. ``attrs`` records
        the ``source`` file and the ``items_in_file``.

    Raises
    ------
    SurveyError
        Listing each problem with its line, column, the bad value and what was expected.
    """
    instrument = instrument if instrument is not None else load_instrument()
    path = Path(path)
    source = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SurveyError(
            source, [SurveyProblem(None, None, f"cannot read {path}: {exc.strerror}")]
        ) from None
    text = _decode(raw, source)
    # strict: a quote left open is an error at the end of the file, not a cell that swallows it
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, header_line = _read_header(reader, text, source)
    problems = _check_header(header, instrument)
    if problems:
        raise SurveyError(source, problems)
    rows = _Rows(header, instrument)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_csv_problem(exc, text, start, reader.line_num, header))
            break
        rows.add(start, cells, problems)
    if not rows.lines and not problems:
        problems.append(
            SurveyProblem(
                header_line, None, "no respondent rows after the header; expected one row per respondent"
            )
        )
    if problems:
        raise SurveyError(source, problems)
    return rows.frame(path)


def _read_header(reader: Any, text: str, source: str) -> tuple[list[str], int]:
    """The first non-blank row, stripped, and the line it ends on; an empty file is refused."""
    start = 1
    try:
        while True:
            start = reader.line_num + 1
            first = next(reader)
            if any(cell.strip() for cell in first):
                return [cell.strip() for cell in first], reader.line_num
    except StopIteration:
        raise SurveyError(
            source,
            [
                SurveyProblem(
                    None, None, "the file is empty; expected a header row and one row per respondent"
                )
            ],
        ) from None
    except csv.Error as exc:
        raise SurveyError(source, [_csv_problem(exc, text, start, reader.line_num, None)]) from None


class _Rows:
    """Respondent rows as they are read: ids, answer codes, and every problem with its line.

    One row's checks (width, respondent id, each answer) are separate steps so that a file
    with many faults reports them all in one pass.
    """

    def __init__(self, header: list[str], instrument: Instrument):
        self.header = header
        self.items = [
            (position, instrument[name]) for position, name in enumerate(header) if name in instrument
        ]
        self.lookups = {item.item_id: answer_lookup(item) for _, item in self.items}
        self.pos = {name: header.index(name) for name in RESERVED_COLUMNS if name in header}
        self.lines: list[int] = []
        self.meta: dict[str, list[Any]] = {name: [] for name in RESERVED_COLUMNS}
        self.codes: dict[str, list[int | None]] = {item_id: [] for item_id in instrument.item_ids}
        self.first_seen: dict[tuple[str, str], int] = {}

    def add(self, start: int, cells: list[str], problems: list[SurveyProblem]) -> None:
        if not any(cell.strip() for cell in cells):
            return  # a wholly blank row is not a respondent
        if len(cells) != len(self.header):
            problems.append(self._width_problem(start, cells))
            return
        respondent, collaboration, organisation = self._ids(start, cells, problems)
        row_codes = self._answers(start, cells, problems)
        self.lines.append(start)
        self.meta["respondent_id"].append(respondent)
        self.meta["collaboration_id"].append(collaboration)
        self.meta["organisation"].append(organisation or None)
        for item_id in self.codes:
            self.codes[item_id].append(row_codes.get(item_id))

    def _width_problem(self, start: int, cells: list[str]) -> SurveyProblem:
        hint = next(
            (
                f"; it looks separated by {name}"
                for char, name in _FOREIGN_DELIMITERS.items()
                if char in "".join(cells)
            ),
            "",
        )
        return SurveyProblem(
            start, None, f"the row has {len(cells)} cells but the header has {len(self.header)}{hint}"
        )

    def _ids(self, start: int, cells: list[str], problems: list[SurveyProblem]) -> tuple[str, str, str]:
        pos = self.pos
        respondent = cells[pos["respondent_id"]].strip()
        collaboration = cells[pos["collaboration_id"]].strip() if "collaboration_id" in pos else ""
        collaboration = collaboration or DEFAULT_COLLABORATION
        organisation = cells[pos["organisation"]].strip() if "organisation" in pos else ""
        if not respondent:
            problems.append(
                SurveyProblem(start, "respondent_id", "respondent id is blank; every row needs one")
            )
            return respondent, collaboration, organisation
        key = (collaboration, respondent)
        if key in self.first_seen:
            problems.append(
                SurveyProblem(
                    start,
                    "respondent_id",
                    f"respondent id {respondent!r} repeats line {self.first_seen[key]} "
                    f"(collaboration {collaboration!r}); ids must be unique within a collaboration",
                    respondent,
                )
            )
        self.first_seen.setdefault(key, start)
        return respondent, collaboration, organisation

    def _answers(self, start: int, cells: list[str], problems: list[SurveyProblem]) -> dict[str, int | None]:
        row_codes: dict[str, int | None] = {}
        for position, item in self.items:
            value = cells[position].strip()
            if not value:
                row_codes[item.item_id] = None
                continue
            number = _NUMBER.match(value)
            key_text = (number.group(1).lstrip("0") or "0") if number else _norm(value)
            code = self.lookups[item.item_id].get(key_text)
            if code is None:
                problems.append(
                    SurveyProblem(
                        start,
                        item.item_id,
                        f"{value!r} is not an answer on the {item.scale} scale; expected {_expected(item)}",
                        value,
                    )
                )
            row_codes[item.item_id] = code
        return row_codes

    def frame(self, path: Path) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                **{name: pd.array(values, dtype="string") for name, values in self.meta.items()},
                **{item_id: pd.array(values, dtype="Int64") for item_id, values in self.codes.items()},
            },
            index=pd.Index(self.lines, name="line"),
        )
        frame.attrs = {"source": str(path), "items_in_file": [item.item_id for _, item in self.items]}
        return frame


def _quote_cell(physical: str) -> int:
    """Index of the cell whose quote breaks the line: text after a closing quote, or a quote left open."""
    cell, in_quotes, after_close, k = 0, False, False, 0
    while k < len(physical):
        char = physical[k]
        if in_quotes:
            if char == '"' and physical[k + 1 : k + 2] == '"':
                k += 1  # an escaped quote ("") inside a quoted cell
            elif char == '"':
                in_quotes, after_close = False, True
        elif char == ",":
            cell, after_close = cell + 1, False
        elif after_close:
            return cell
        elif char == '"' and (k == 0 or physical[k - 1] == ","):
            in_quotes = True
        k += 1
    return cell


def _csv_problem(exc: csv.Error, text: str, start: int, end: int, header: list[str] | None) -> SurveyProblem:
    """Say where a row stopped being CSV; an unclosed quote is named with its line and column."""
    lines = _LINE_BREAK.split(text)
    unclosed = "unexpected end of data" in str(exc)
    line = start if unclosed else end
    physical = lines[line - 1] if 0 < line <= len(lines) else ""
    index = _quote_cell(physical)
    cells = _split_cells(physical)
    column = header[index] if header is not None and 0 <= index < len(header) else None
    value = cells[index].strip()[:40] if 0 <= index < len(cells) else physical[:40]
    if unclosed:
        return SurveyProblem(
            start,
            column,
            f'a quote (") opens the cell "{value}... and is never closed, so lines {start}-{end} would '
            "read as one cell; expected the quote closed in the same cell (or removed); a quote inside "
            'a quoted cell is written twice ("")',
            value,
        )
    return SurveyProblem(
        line,
        column,
        f"not readable as CSV ({exc}) in {physical.strip()[:60]!r}; expected a comma right after the "
        'quote (") that closes a cell',
        value,
    )


def write_survey(frame: pd.DataFrame, path: Path | str, instrument: Instrument | None = None) -> Path:
    """Write coded answers (as :func:`read_survey` returns them) as a survey CSV.

    Answers are written in their canonical form: likert5 as ``1``-``5``, maturity3 as the level
    word, choice as the node state; missing answers as blank cells. Every instrument item gets a
    column; reading the file back gives the same codes.
    """
    instrument = instrument if instrument is not None else load_instrument()
    path = Path(path)
    unknown = [c for c in frame.columns if c not in RESERVED_COLUMNS and c not in instrument]
    if unknown:
        raise ValueError(f"columns {unknown} are neither survey columns nor items of the instrument")
    if "respondent_id" not in frame.columns:
        raise ValueError("frame needs a 'respondent_id' column")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(instrument.csv_header())
        for row in frame.to_dict("records"):
            out = [_cell(row.get(name)) for name in RESERVED_COLUMNS]
            for item in instrument:
                code = row.get(item.item_id)
                if code is None or pd.isna(code):
                    out.append("")
                    continue
                if not 0 <= int(code) < item.n_options:
                    raise ValueError(
                        f"respondent {row['respondent_id']!r}, item {item.item_id!r}: code {code} is "
                        f"outside 0..{item.n_options - 1}"
                    )
                answer = str(int(code) + 1) if item.scale == "likert5" else item.options[int(code)].answer
                out.append(answer)
            writer.writerow(out)
    return path


def _cell(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def describe_survey(frame: pd.DataFrame, instrument: Instrument) -> dict[str, Any]:
    """Counts for a read survey: respondents, collaborations, answered cells, items never answered."""
    items = [c for c in instrument.item_ids if c in frame.columns]
    answers = frame[items]
    answered = int(answers.notna().to_numpy().sum())
    per_collab: Mapping[str, int] = frame.groupby("collaboration_id", sort=True).size().to_dict()
    return {
        "source": frame.attrs.get("source"),
        "respondents": len(frame),
        "collaborations": {str(k): int(v) for k, v in per_collab.items()},
        "organisations": int(frame["organisation"].nunique(dropna=True)),
        "items": len(items),
        "items_in_file": list(frame.attrs.get("items_in_file", items)),
        "answered": answered,
        "cells": int(answers.size),
        "never_answered": [c for c in items if answers[c].isna().all()],
    }
