"""Refusals through the console script: negative counts, echoed values keep their quotes, and survey
files in the wrong encoding, line endings or quoting get a message with line and column, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

LATIN1_CR = b"respondent_id,organisation,trust_1\rr1,H\xf4pital,3\r"
UNCLOSED = b'respondent_id,organisation,trust_1\nr1,"Hosp,3\nr2,B,4\nr3,C,5\n'


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["explain", "trust", "--max-chains", "-1"], "--max-chains is -1; expected an integer >= 0"),
        (["assess", "{survey}", "--top", "-1"], "--top is -1; expected an integer >= 0"),
        (["assess", "{survey}", "--draws", "-3"], "--draws is -3; expected an integer >= 0"),
        (["learn", "{survey}", "-o", "out", "--tune", "-1"], "--tune is -1; expected an integer >= 0"),
        (["learn", "{survey}", "-o", "out", "--chains", "0"], "--chains is 0; expected an integer >= 1"),
        (["sensitivity", "trust", "--top", "0"], "--top is 0; expected an integer >= 1"),
        (
            ["simulate", "--collaborations", "1", "--respondents", "1", "--seed", "-5", "-o", "s.csv"],
            "--seed is -5; expected an integer >= 0",
        ),
        (["query", "trust", "--given", ""], "--given expects NODE=STATE; got ''"),
        (["query", "trust", "--given", "mandated"], "--given expects NODE=STATE; got 'mandated'\n"),
    ],
)
def test_refusals_name_option_and_value(run_cli, tmp_path: Path, args: list[str], needle: str) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("respondent_id,trust_1\nr1,3\n", encoding="utf-8")
    done = run_cli(*[a.format(survey=survey) for a in args], cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert needle in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["survey.csv"]  # nothing written


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (LATIN1_CR, "line 2, column 'organisation': byte f4 in 'H\ufffdpital' is not UTF-8"),
        (
            "respondent_id,trust_1\nr1,3\n".encode("utf-16-le"),
            "UTF-16 text (little-endian, without a byte-order mark)",
        ),
        (
            "respondent_id,trust_1\nr1,3\n".encode("utf-16-be"),
            "UTF-16 text (big-endian, without a byte-order mark)",
        ),
        (
            UNCLOSED,
            "line 2, column 'organisation': a quote (\") opens the cell \"Hosp,3... and is never closed",
        ),
    ],
)
def test_unreadable_surveys_get_one_clear_message(
    run_cli, tmp_path: Path, content: bytes, needle: str
) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_bytes(content)
    done = run_cli("instrument", "--check", str(survey))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "_csv.Error" not in done.stderr
    assert "unknown column" not in done.stderr  # not ten lines of 'r\x00e\x00s...'


def test_assess_reports_the_latin1_cr_file_too(run_cli, tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_bytes(LATIN1_CR)
    done = run_cli("assess", str(survey))
    assert done.returncode == 2 and "line 2, column 'organisation': byte f4" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "_csv.Error" not in done.stderr
