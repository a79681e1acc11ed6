"""Fuzz the survey reader: whatever the cells, encoding and line endings, it accepts the file or
raises SurveyError whose problems point at a real line (and a column only with a line); never
anything else (no _csv.Error, UnicodeError, IndexError, ...)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayescollab.errors import SurveyError
from bayescollab.survey.ingest import read_survey
from bayescollab.survey.instrument import Instrument, load_instrument

INSTRUMENT: Instrument = load_instrument()
COLUMNS = ["respondent_id", "collaboration_id", "organisation", *INSTRUMENT.item_ids[:6]]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
LINE_ENDS = ["\n", "\r\n", "\r"]

# cells that are answers, near-answers, CSV syntax and text that is hard to encode
TRICKY = ["", " ", "1", "3", "5", "6", "0", "4.0", "agree", "Strongly Agree", "neutral", "generative",
          '"', '""', '"x', 'x"', '"a,b"', "a,b", ";", "\t", "\n", "\r", "\x00", "Hôpital", "Santé",
          "€", "日本", "\ufeff", "\u2028", "r1", "c1"]  # fmt: skip
cells = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8))
ITEMS = INSTRUMENT.item_ids[:6]
#: answers every item accepts (each scale has at least two options) and values for the id columns
ANSWERS = ["", "1", "2", " 2 ", "1.0"]
IDS = ["c1", "c2", "", "Org A", "Hôpital", "Santé Nord"]


def _quote(cell: str, style: str) -> str:
    if style == "csv" and any(ch in cell for ch in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell  # "raw": written as is, so quotes and commas break the row as a careless editor would


@st.composite
def survey_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """Mostly well-formed surveys with a few things broken, so both outcomes are exercised."""
    if draw(st.integers(0, 3)):  # 3 in 4: a valid header in some order
        items = draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True))
        extra = draw(st.lists(st.sampled_from(COLUMNS[1:3]), max_size=2, unique=True))
        header = draw(st.permutations(["respondent_id", *extra, *items]))
    else:
        header = draw(st.lists(st.one_of(st.sampled_from(COLUMNS), cells), min_size=1, max_size=6))
    rows = []
    for number in range(draw(st.integers(0, 5))):
        usual = [st.sampled_from(ANSWERS if name in ITEMS else IDS) for name in header]
        row = [draw(cells if not draw(st.integers(0, 19)) else pool) for pool in usual]
        if "respondent_id" in header and draw(st.integers(0, 9)):
            row[header.index("respondent_id")] = f"r{number}"
        if not draw(st.integers(0, 9)):  # 1 in 10: a cell too many or too few
            row = row[:-1] if row and draw(st.booleans()) else [*row, draw(cells)]
        rows.append(row)
    style = draw(st.sampled_from(["csv", "csv", "raw"]))
    ending = draw(st.sampled_from([*LINE_ENDS, "mixed"]))
    lines = [",".join(_quote(c, style) for c in row) for row in [header, *rows]]
    if ending == "mixed":
        ends = draw(st.lists(st.sampled_from(LINE_ENDS), min_size=len(lines), max_size=len(lines)))
    else:
        ends = [ending] * len(lines)
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ENCODINGS))
    physical_lines = text.count("\n") + text.count("\r") + 1
    return text.encode(encoding, errors="replace"), physical_lines


def _check(path: Path, max_line: int) -> None:
    try:
        frame = read_survey(path, INSTRUMENT)
    except SurveyError as exc:
        assert exc.problems, "a SurveyError lists at least one problem"
        for problem in exc.problems:
            if problem.line is None:
                assert problem.column is None, f"a column without a line: {problem}"
            else:
                assert 1 <= problem.line <= max_line, f"line {problem.line} outside 1..{max_line}: {problem}"
        assert str(exc).startswith(path.name)
        return
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns[:3]) == ["respondent_id", "collaboration_id", "organisation"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(survey_files())
def test_reader_accepts_or_names_the_line(tmp_path: Path, case: tuple[bytes, int]) -> None:
    raw, physical_lines = case
    path = tmp_path / "fuzz.csv"
    path.write_bytes(raw)
    # a UTF-16/32 file may hide line breaks among NUL bytes; the byte count bounds the lines anyway
    _check(path, max(physical_lines, raw.count(b"\n") + raw.count(b"\r") + 1))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_reader_survives_arbitrary_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes(b"respondent_id,trust_1\n" + raw)
    _check(path, raw.count(b"\n") + raw.count(b"\r") + 2)
