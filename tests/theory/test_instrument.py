"""The packaged instrument: coverage of 002 Table 11 and the main contexts, validity, paraphrase."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

import bayescollab.survey as survey
from bayescollab.errors import InstrumentError, UnknownNameError
from bayescollab.theory.instrument import (
    COLUMNS,
    MATURITY3_LEVELS,
    RESERVED_COLUMNS,
    Instrument,
    instrument_path,
    load_instrument,
)
from bayescollab.theory.load import Theory

#: 002 Table 11 key element -> node (the nine rows of the maturity matrix)
TABLE_11 = {
    "Trust": "trust",
    "Faith": "faith",
    "Confidence": "confidence",
    "Ease of cultural integration": "cultural_assimilation",
    "Perceived legitimacy": "perceived_legitimacy",
    "Interpersonal communication": "communication",
    "Clarity of vision": "vision_clarity",
    "Sharedness of vision": "vision_sharedness",
    "Risk tolerance": "risk_tolerance",
}
CONTEXTS = (
    "resource_capacity",
    "collaboration_history",
    "mandated",
    "cross_sector",
    "collaboration_form",
    "formalisation",
    "leadership_style",
)


def test_every_table_11_element_has_one_maturity_item(instrument: Instrument) -> None:
    for element, node in TABLE_11.items():
        maturity = [i for i in instrument.items_for(node) if i.scale == "maturity3"]
        assert len(maturity) == 1, (element, node)
        item = maturity[0]
        assert item.seed.startswith("002_") and item.location == f"Table 11 ({element} row)"
        assert [o.answer for o in item.options] == list(MATURITY3_LEVELS)
        assert item.node_states == ("low", "medium", "high")
        assert all(len(o.text) > 40 for o in item.options), item.item_id


def test_mechanisms_have_two_or_three_items(instrument: Instrument) -> None:
    for node in TABLE_11.values():
        assert 2 <= len(instrument.items_for(node)) <= 3, node


def test_main_contexts_are_covered(instrument: Instrument) -> None:
    missing = [c for c in CONTEXTS if not instrument.items_for(c)]
    assert not missing


def test_size_ids_and_nodes(instrument: Instrument, survey_theory: Theory) -> None:
    assert 25 <= len(instrument) <= 35
    assert len(set(instrument.item_ids)) == len(instrument)
    assert not set(instrument.item_ids) & set(RESERVED_COLUMNS)
    for item in instrument:
        assert item.node in survey_theory.nodes
        assert item.node_states == tuple(survey_theory.nodes[item.node].states)


def test_reverse_is_read_against_the_state_order(instrument: Instrument) -> None:
    assert instrument["trust_1"].agree_state == "high"
    assert instrument["trust_2"].agree_state == "low"  # negatively worded
    assert instrument["resource_capacity_1"].agree_state == "constrained"
    assert instrument["resource_capacity_2"].agree_state == "adequate"
    assert instrument["trust_maturity"].agree_state is None
    assert instrument["formalisation_1"].state_of(1) == "non_binding"
    with pytest.raises(ValueError, match="likert5"):
        instrument["trust_1"].state_of(0)


def test_every_node_measured_by_likert_has_both_keyings_somewhere(instrument: Instrument) -> None:
    likert = [i for i in instrument if i.scale == "likert5"]
    assert any(i.reverse for i in likert) and not all(i.reverse for i in likert)


def test_unknown_item_names_closest(instrument: Instrument) -> None:
    with pytest.raises(UnknownNameError, match=r"closest first\): trust_1"):
        instrument["trust1"]


def test_csv_header_and_dict(instrument: Instrument) -> None:
    header = instrument.csv_header()
    assert header[:3] == ["respondent_id", "collaboration_id", "organisation"]
    assert header[3:] == list(instrument.item_ids)
    d = instrument.to_dict()
    assert d["n_items"] == len(instrument) and d["csv_header"] == header
    first = d["items"][0]
    assert first["options"][0]["code"] == 0 and first["options"][0]["number"] == 1


def test_public_names_resolve() -> None:
    for name in survey.__all__:
        assert getattr(survey, name) is not None


def _ngrams(text: str, n: int) -> set[str]:
    text = text.lower().replace("’", "'").replace("‘", "'")
    words = re.findall(r"[a-z']+", text)
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_wording_is_paraphrased(instrument: Instrument, seeds_dir: Path) -> None:
    """No wording or option text shares a run of 8 words with any seed."""
    seed_grams: set[str] = set()
    for path in seeds_dir.glob("0*.txt"):
        seed_grams |= _ngrams(path.read_text(encoding="utf-8"), 8)
    texts = [(i.item_id, i.wording) for i in instrument]
    texts += [
        (f"{i.item_id}:{o.answer}", o.text) for i in instrument if i.scale != "likert5" for o in i.options
    ]
    copied = [
        (name, sorted(_ngrams(t, 8) & seed_grams)[:1]) for name, t in texts if _ngrams(t, 8) & seed_grams
    ]
    assert not copied, copied


# --------------------------------------------------------------------------- broken instruments


def _rows() -> list[dict[str, str]]:
    with instrument_path().open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _edit(target: str, /, **changes: str):
    def change(rows: list[dict[str, str]]) -> None:
        row = next(r for r in rows if r["item_id"] == target)
        row.update(changes)

    return change


def _duplicate(rows: list[dict[str, str]]) -> None:
    rows.append(dict(rows[0]))


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (_edit("trust_1", node="trsut"), "unknown node 'trsut'"),
        (_edit("trust_1", scale="likert7"), "unknown scale 'likert7'"),
        (_duplicate, "item id repeats line 2"),
        (_edit("trust_1", item_id="organisation"), "reserved survey column"),
        (_edit("trust_1", item_id="Trust 1"), "lower-case letters"),
        (_edit("trust_maturity", reverse="true"), "only likert5 items can be reversed"),
        (_edit("trust_maturity", generative=""), "need all three descriptions"),
        (_edit("trust_1", node="collaboration_form"), "needs an ordered node"),
        (_edit("trust_1", node="mandated", scale="maturity3"), "needs a node with states low, medium, high"),
        (
            _edit("mandated_1", choices="mandated=Required | voluntary=Chosen"),
            "in order ['voluntary', 'mandated']",
        ),
        (_edit("mandated_1", choices="voluntary"), "is not STATE=TEXT"),
        (_edit("trust_1", source="002_88c03433245ed2d8.txt: Table 99"), "'Table 99' is not a known place"),
        (_edit("trust_1", source="Table 11"), "must be 'SEED_FILE: LOCATION'"),
        (_edit("trust_1", wording=""), "wording is empty"),
    ],
)
def test_broken_instrument_is_refused(tmp_path: Path, survey_theory: Theory, change, needle: str) -> None:
    rows = _rows()
    change(rows)
    path = _write(tmp_path / "instrument.csv", rows)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path, theory=survey_theory)
    assert needle in str(info.value)
    assert "instrument.csv [line" in str(info.value)


def test_missing_column_is_refused(tmp_path: Path, survey_theory: Theory) -> None:
    columns = tuple(c for c in COLUMNS if c != "source")
    rows = [{k: v for k, v in r.items() if k != "source"} for r in _rows()]
    with pytest.raises(InstrumentError, match=r"missing columns \['source'\]"):
        load_instrument(_write(tmp_path / "i.csv", rows, columns), theory=survey_theory)


def test_default_path_follows_the_theory_folder(tmp_path: Path, survey_theory: Theory) -> None:
    from dataclasses import replace

    elsewhere = replace(survey_theory, root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no instrument\.csv beside the theory"):
        load_instrument(theory=elsewhere)
    _write(tmp_path / "instrument.csv", _rows()[:3])
    assert len(load_instrument(theory=elsewhere)) == 3


def test_doc_lists_every_item(instrument: Instrument) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "survey.md").read_text(encoding="utf-8")
    missing = [i.item_id for i in instrument if f"| `{i.item_id}` | `{i.node}` | {i.scale} |" not in doc]
    assert not missing, f"docs/survey.md lacks rows for {missing}"
