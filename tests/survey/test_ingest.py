"""Reading survey CSVs: coded answers, blanks kept missing, and a line-and-column message per problem."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollab.errors import SurveyError
from bayescollab.survey.ingest import DEFAULT_COLLABORATION, describe_survey, read_survey, write_survey
from bayescollab.survey.instrument import Instrument

HEAD = "respondent_id,collaboration_id,organisation,trust_1,trust_maturity,formalisation_1"


def _file(tmp_path: Path, content: str | bytes, name: str = "survey.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def test_answers_are_coded_from_numbers_and_words(tmp_path: Path, instrument: Instrument) -> None:
    text = (
        f"{HEAD}\n"
        "r1,north,Trust A,4,generative,binding\n"
        "r2,north,Trust B, Strongly AGREE ,2,non-binding\n"
        "r3,north,,neutral,Pathological,1\n"
        "r4,north,,4.0,3,Non Binding\n"
    )
    frame = read_survey(_file(tmp_path, text), instrument)
    assert frame["trust_1"].tolist() == [3, 4, 2, 3]
    assert frame["trust_maturity"].tolist() == [2, 1, 0, 2]
    assert frame["formalisation_1"].tolist() == [2, 1, 0, 1]
    assert str(frame["trust_1"].dtype) == "Int64"


def test_choice_accepts_state_with_spaces(tmp_path: Path, instrument: Instrument) -> None:
    text = "respondent_id,collaboration_form_1\nr1,Integrated care system\nr2,6\nr3,buddying\n"
    frame = read_survey(_file(tmp_path, text), instrument)
    assert frame["collaboration_form_1"].tolist() == [5, 5, 0]
    assert instrument["collaboration_form_1"].state_of(5) == "integrated_care_system"


def test_blanks_stay_missing_and_rows_are_kept(tmp_path: Path, instrument: Instrument) -> None:
    text = f"{HEAD}\nr1,,,,,\nr2,,,5,,\n"
    frame = read_survey(_file(tmp_path, text), instrument)
    assert len(frame) == 2
    assert frame["trust_1"].isna().tolist() == [True, False]
    assert frame["trust_maturity"].isna().all()
    # items absent from the file are columns of missing answers, not dropped
    assert list(frame.columns) == instrument.csv_header()
    assert frame["faith_1"].isna().all()
    assert frame.attrs["items_in_file"] == ["trust_1", "trust_maturity", "formalisation_1"]
    assert frame["collaboration_id"].tolist() == [DEFAULT_COLLABORATION] * 2
    assert frame["organisation"].isna().all()


def test_without_collaboration_column_all_share_one(tmp_path: Path, instrument: Instrument) -> None:
    frame = read_survey(_file(tmp_path, "respondent_id,trust_1\na,1\nb,2\n"), instrument)
    assert set(frame["collaboration_id"]) == {DEFAULT_COLLABORATION}
    summary = describe_survey(frame, instrument)
    assert summary["collaborations"] == {DEFAULT_COLLABORATION: 2}
    assert summary["answered"] == 2 and "faith_1" in summary["never_answered"]


def test_index_is_the_file_line(tmp_path: Path, instrument: Instrument) -> None:
    text = f'\ufeff{HEAD}\r\nr1,c,"Trust\r\nA",1,,\r\n\r\nr2,c,,2,,\r\n'
    frame = read_survey(_file(tmp_path, text), instrument)
    assert frame.index.name == "line"
    assert frame.index.tolist() == [2, 5]
    assert frame.loc[2, "organisation"] == "Trust\r\nA"


def test_same_respondent_id_in_two_collaborations_is_fine(tmp_path: Path, instrument: Instrument) -> None:
    frame = read_survey(_file(tmp_path, "respondent_id,collaboration_id,trust_1\n1,a,1\n1,b,2\n"), instrument)
    assert frame["respondent_id"].tolist() == ["1", "1"]


LATIN = "respondent_id,organisation,trust_1\nr1,Santé Nord,4\n".encode("latin-1")


@pytest.mark.parametrize(
    ("content", "line", "column", "needles"),
    [
        pytest.param(
            "respondent_id,trust1\nr1,4\n",
            1,
            "trust1",
            ["unknown column 'trust1'", "closest: trust_1"],
            id="unknown-column",
        ),
        pytest.param(
            "respondent_id,trust_1\nr1,4\nr2,6\n",
            3,
            "trust_1",
            ["'6'", "likert5", "1-5", "strongly agree"],
            id="likert",
        ),
        pytest.param(
            "respondent_id,trust_maturity\nr1,excellent\n",
            2,
            "trust_maturity",
            ["'excellent'", "pathological, bureaucratic, generative"],
            id="maturity",
        ),
        pytest.param(
            "respondent_id,mandated_1\nr1,3\n",
            2,
            "mandated_1",
            ["'3'", "1-2 or voluntary, mandated"],
            id="choice",
        ),
        pytest.param(
            "respondent_id,trust_1\nr1,4\nr1,2\n",
            3,
            "respondent_id",
            ["'r1' repeats line 2"],
            id="duplicate-id",
        ),
        pytest.param(
            "respondent_id,trust_1\n,4\n", 2, "respondent_id", ["respondent id is blank"], id="blank-id"
        ),
        pytest.param("", None, None, ["the file is empty", "header row"], id="empty"),
        pytest.param("\n\n", None, None, ["the file is empty"], id="blank-lines"),
        pytest.param("respondent_id,trust_1\n", 1, None, ["no respondent rows"], id="header-only"),
        pytest.param(LATIN, 2, "organisation", ["not UTF-8", "'Sant", "expected UTF-8"], id="latin-1"),
        pytest.param(
            "respondent_id,trust_1\nr1,4\n".encode("utf-16"),
            None,
            None,
            ["UTF-16", "expected UTF-8"],
            id="utf-16",
        ),
        pytest.param(
            "respondent_id;trust_1\nr1;4\n", 1, None, ["';' (semicolon)", "not commas"], id="semicolon"
        ),
        pytest.param("respondent_id\ttrust_1\nr1\t4\n", 1, None, ["a tab", "not commas"], id="tab"),
        pytest.param(
            "organisation,trust_1\nA,4\n", 1, None, ["no 'respondent_id' column"], id="no-respondent-column"
        ),
        pytest.param("respondent_id,organisation\nr1,A\n", 1, None, ["no item columns"], id="no-items"),
        pytest.param(
            "respondent_id,trust_1,trust_1\nr1,4,4\n",
            1,
            "trust_1",
            ["appears twice", "cells 2 and 3"],
            id="dup-column",
        ),
        pytest.param(
            "respondent_id,trust_1\nr1;4;5\n",
            2,
            None,
            ["1 cells but the header has 2", "';'"],
            id="ragged-row",
        ),
    ],
)
def test_bad_input_names_line_and_column(
    tmp_path: Path, instrument: Instrument, content, line, column, needles: list[str]
) -> None:
    with pytest.raises(SurveyError) as info:
        read_survey(_file(tmp_path, content), instrument)
    problem = info.value.problems[0]
    assert (problem.line, problem.column) == (line, column)
    message = str(info.value)
    assert message.startswith("survey.csv: ")
    where = ", ".join(
        ([f"line {line}"] if line is not None else [])
        + ([f"column {column!r}"] if column is not None else [])
    )
    assert where in message
    for needle in needles:
        assert needle in message, (needle, message)


def test_every_bad_cell_is_reported_at_once(tmp_path: Path, instrument: Instrument) -> None:
    text = "respondent_id,trust_1,faith_1\nr1,0,7\nr2,9,yes\n"
    with pytest.raises(SurveyError) as info:
        read_survey(_file(tmp_path, text), instrument)
    got = [(p.line, p.column, p.value) for p in info.value.problems]
    assert got == [(2, "trust_1", "0"), (2, "faith_1", "7"), (3, "trust_1", "9"), (3, "faith_1", "yes")]
    assert isinstance(info.value, ValueError)


def test_missing_file_is_a_survey_error(tmp_path: Path, instrument: Instrument) -> None:
    with pytest.raises(SurveyError, match="cannot read"):
        read_survey(tmp_path / "nope.csv", instrument)


def test_round_trip(tmp_path: Path, instrument: Instrument) -> None:
    text = f"{HEAD}\nr1,north,Trust A,4,generative,binding\nr2,south,,,1,\n"
    first = read_survey(_file(tmp_path, text), instrument)
    again = read_survey(write_survey(first, tmp_path / "again.csv", instrument), instrument)
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True))


# --------------------------------------------------------------------------- property: round trip

_FORMS = st.sampled_from(["number", "word", "upper", "padded"])


def _spell(instrument: Instrument, item_id: str, code: int, form: str) -> str:
    item = instrument[item_id]
    if form == "number":
        return str(code + 1)
    word = item.options[code].answer
    if form == "upper":
        return word.upper().replace("_", " ")
    if form == "padded":
        return f"  {word.title()} "
    return word


@st.composite
def _surveys(draw, instrument: Instrument):
    item_ids = draw(st.lists(st.sampled_from(instrument.item_ids), min_size=1, max_size=8, unique=True))
    n = draw(st.integers(1, 6))
    rows = []
    for r in range(n):
        codes = {i: draw(st.one_of(st.none(), st.integers(0, instrument[i].n_options - 1))) for i in item_ids}
        forms = {i: draw(_FORMS) for i in item_ids}
        rows.append((f"r{r}", draw(st.sampled_from(["", "a", "b"])), codes, forms))
    return item_ids, rows


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_property_round_trip(instrument: Instrument, data) -> None:
    item_ids, rows = data.draw(_surveys(instrument))
    lines = [",".join(["respondent_id", "collaboration_id", *item_ids])]
    for respondent, collab, codes, forms in rows:
        cells = ["" if codes[i] is None else _spell(instrument, i, codes[i], forms[i]) for i in item_ids]
        lines.append(",".join([respondent, collab, *cells]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        frame = read_survey(path, instrument)
        again = read_survey(write_survey(frame, Path(folder) / "w.csv", instrument), instrument)
    assert frame.index.tolist() == list(range(2, len(rows) + 2))
    for (respondent, collab, codes, _), (_, got) in zip(rows, frame.iterrows(), strict=True):
        assert got["respondent_id"] == respondent
        assert got["collaboration_id"] == (collab or DEFAULT_COLLABORATION)
        for i in instrument.item_ids:
            want = codes.get(i)
            assert pd.isna(got[i]) if want is None else got[i] == want, (i, want, got[i])
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), again.reset_index(drop=True))


def test_write_refuses_codes_off_the_scale(tmp_path: Path, instrument: Instrument) -> None:
    frame = pd.DataFrame({"respondent_id": ["r1"], "trust_maturity": pd.array([3], dtype="Int64")})
    with pytest.raises(ValueError, match=r"item 'trust_maturity': code 3 is outside 0\.\.2"):
        write_survey(frame, tmp_path / "w.csv", instrument)
