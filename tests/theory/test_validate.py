"""`bayescollab validate` reports each kind of broken file with its file and entry, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import bayescollab as bc


def _edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _first_cmoc_file(models: Path) -> Path:
    return sorted((models / "cmocs").glob("*.yaml"))[0]


def _first_used_record(data: dict) -> dict:
    return next(r for r in data["cmocs"] if r.get("shapes_cpt", True) and r.get("links"))


def _node(data: dict, node_id: str) -> dict:
    return next(n for n in data["nodes"] if n["id"] == node_id)


def break_unknown_node(models: Path, priors: Path) -> tuple[str, str]:
    path = _first_cmoc_file(models)
    rid = {}

    def change(d: dict) -> None:
        rec = _first_used_record(d)
        rec["context"] = [*rec.get("context", []), {"node": "trusst", "state": "high"}]
        rid["id"] = rec["id"]

    _edit_yaml(path, change)
    return f"cmocs/{path.name} [id={rid['id']}]", "unknown node 'trusst'"


def break_unknown_state(models: Path, priors: Path) -> tuple[str, str]:
    path = _first_cmoc_file(models)
    rid = {}

    def change(d: dict) -> None:
        rec = _first_used_record(d)
        rec["mechanism"] = [{"node": "trust", "state": "sky_high"}]
        rid["id"] = rec["id"]

    _edit_yaml(path, change)
    return f"cmocs/{path.name} [id={rid['id']}]", "state 'sky_high'"


def break_edge_without_record(models: Path, priors: Path) -> tuple[str, str]:
    def change(d: dict) -> None:
        d["feedback"].append(
            {
                "parent": "collaborative_performance",
                "child": "ambition",
                "reason": "an invented feedback link with no record",
                "source": {
                    "seed": "000_fe0097164cc621a7.txt",
                    "location": "Table 2",
                    "citations": [],
                },
            }
        )

    _edit_yaml(models / "feedback.yaml", change)
    return "feedback.yaml [collaborative_performance -> ambition]", "no CMOC record asserts"


def break_cycle(models: Path, priors: Path) -> tuple[str, str]:
    def change(d: dict) -> None:
        _node(d, "conflict")["order"] = _node(d, "trust")["order"]

    _edit_yaml(models / "nodes.yaml", change)
    return "nodes.yaml [order]", "cycle"


def break_seed_location(models: Path, priors: Path) -> tuple[str, str]:
    path = _first_cmoc_file(models)
    rid = {}

    def change(d: dict) -> None:
        rec = d["cmocs"][0]
        rec["sources"][0]["location"] = "Table 99"
        rid["id"] = rec["id"]

    _edit_yaml(path, change)
    return f"cmocs/{path.name} [id={rid['id']}]", "'Table 99' is not a known place"


def break_state_order(models: Path, priors: Path) -> tuple[str, str]:
    def change(d: dict) -> None:
        _node(d, "faith")["states"] = ["high", "medium", "low"]

    _edit_yaml(models / "nodes.yaml", change)
    return "nodes.yaml [id=faith]", "not ordered low -> high"


def break_yaml_syntax(models: Path, priors: Path) -> tuple[str, str]:
    (models / "scenarios.yaml").write_text("scenarios:\n  - name: [unclosed\n")
    return "scenarios.yaml", "not valid YAML"


def break_priors(models: Path, priors: Path) -> tuple[str, str]:
    def change(d: dict) -> None:
        d["grades"]["A"]["sd"] = -1

    _edit_yaml(priors / "evidence_grades.yaml", change)
    return "priors/evidence_grades.yaml [grades.A.sd]", "greater than 0"


def _edit_csv(path: Path, change: Callable[[list[dict]], None], rename: dict | None = None) -> None:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([(rename or {}).get(c, c) for c in header])
        writer.writerows([row[c] for c in header] for row in rows)


def break_lever_node(models: Path, priors: Path) -> tuple[str, str]:
    _edit_yaml(models / "levers.yaml", lambda d: d["levers"][0].update(node="formalisaton"))
    return "levers.yaml [node=formalisaton]", "unknown context node 'formalisaton'; valid choices"


def break_lever_state(models: Path, priors: Path) -> tuple[str, str]:
    _edit_yaml(models / "levers.yaml", lambda d: d["levers"][0].update(do=["binding", "iron_clad"]))
    return "levers.yaml [node=formalisation]", "'iron_clad'; valid choices (closest first): "


def break_lever_file_deleted(models: Path, priors: Path) -> tuple[str, str]:
    (models / "levers.yaml").unlink()
    return "levers.yaml [file]", "missing file"


def break_instrument_node(models: Path, priors: Path) -> tuple[str, str]:
    _edit_csv(models / "instrument.csv", lambda rows: rows[1].update(node="mandatd"))
    return "instrument.csv [line 3, item_id=mandated_1]", "unknown node 'mandatd'; the item must measure"


def break_instrument_scale(models: Path, priors: Path) -> tuple[str, str]:
    _edit_csv(models / "instrument.csv", lambda rows: rows[1].update(scale="likert7"))
    return "instrument.csv [line 3, item_id=mandated_1]", "unknown scale 'likert7'; expected one of likert5"


def break_instrument_header(models: Path, priors: Path) -> tuple[str, str]:
    _edit_csv(models / "instrument.csv", lambda rows: None, rename={"wording": "question"})
    return "instrument.csv [header]", "missing columns ['wording']; unknown columns ['question']; expected"


def break_measurement_negative(models: Path, priors: Path) -> tuple[str, str]:
    _edit_yaml(priors / "measurement.yaml", lambda d: d["discrimination"]["likert5"].update(median=-2.0))
    return "priors/measurement.yaml [discrimination.likert5]", "median -2.0, sd_log 0.5; expected both > 0"


def break_nodes_yaml_typo(models: Path, priors: Path) -> tuple[str, str]:
    path = models / "nodes.yaml"
    text = path.read_text()
    assert "- {id: trust, " in text
    path.write_text(text.replace("- {id: trust, ", "- {id: trust: ", 1))
    return "nodes.yaml [line", "not valid YAML"


def break_nodes_yaml_empty(models: Path, priors: Path) -> tuple[str, str]:
    (models / "nodes.yaml").write_text("")
    return "nodes.yaml [file]", "file is empty; expected a mapping with a list under 'nodes'"


def break_claim_state(models: Path, priors: Path) -> tuple[str, str]:
    claims = models / "magnitude_claims.yaml"
    _edit_yaml(claims, lambda d: d["claims"][0]["a"].update(collaboration_history="great"))
    return "magnitude_claims.yaml [claim M01]", "unknown state 'great' of collaboration_history; expected"


def break_claim_wording(models: Path, priors: Path) -> tuple[str, str]:
    _edit_yaml(models / "magnitude_claims.yaml", lambda d: d["claims"][0].update(wording="crucial"))
    return "magnitude_claims.yaml [claim M01]", "wording 'crucial' has no rule; expected one of"


BREAKERS = [
    break_unknown_node,
    break_unknown_state,
    break_edge_without_record,
    break_cycle,
    break_seed_location,
    break_state_order,
    break_yaml_syntax,
    break_priors,
    break_lever_node,
    break_lever_state,
    break_lever_file_deleted,
    break_instrument_node,
    break_instrument_scale,
    break_instrument_header,
    break_measurement_negative,
    break_nodes_yaml_typo,
    break_nodes_yaml_empty,
    break_claim_state,
    break_claim_wording,
]

#: breakers whose fault is a root cause: validate reports it first and stops
ROOT_CAUSES = [break_nodes_yaml_typo, break_nodes_yaml_empty]


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda f: f.__name__)
def test_validate_reports_file_entry_and_exit_2(run_cli, model_copy, breaker) -> None:
    models, priors = model_copy
    where, what = breaker(models, priors)
    res = run_cli("validate", "--models", str(models), "--priors", str(priors))
    assert res.returncode == 2, res.stdout
    assert "Traceback" not in res.stderr
    line = next((ln for ln in res.stderr.splitlines() if what in ln), None)
    assert line is not None, res.stderr
    assert where in line, line


@pytest.mark.parametrize("breaker", ROOT_CAUSES, ids=lambda f: f.__name__)
def test_root_cause_comes_first_and_alone(run_cli, model_copy, breaker) -> None:
    """A broken nodes.yaml used to give ~1,865 cascading problems; now its own fault, first."""
    models, priors = model_copy
    where, what = breaker(models, priors)
    res = run_cli("validate", "--models", str(models), "--priors", str(priors))
    assert res.returncode == 2
    listed = [ln for ln in res.stderr.splitlines() if ln.startswith("  - ")]
    assert listed and where in listed[0] and what in listed[0], res.stderr
    assert len(listed) == 1, res.stderr


def test_unbroken_files_validate(run_cli, model_copy) -> None:
    models, priors = model_copy
    res = run_cli("validate", "--models", str(models), "--priors", str(priors))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ok:")


def test_query_on_broken_theory_shows_validation_not_traceback(run_cli, model_copy) -> None:
    models, priors = model_copy
    break_unknown_node(models, priors)
    res = run_cli("query", "trust", "--models", str(models))
    assert res.returncode == 2
    assert "unknown node 'trusst'" in res.stderr and "Traceback" not in res.stderr


def test_api_raises_theory_error_listing_problems(model_copy) -> None:
    models, priors = model_copy
    break_state_order(models, priors)
    with pytest.raises(bc.TheoryError) as info:
        bc.load_model(models, priors)
    assert any(p.file == "nodes.yaml" and p.entry == "id=faith" for p in info.value.problems)


def test_missing_folders_are_named(run_cli, tmp_path) -> None:
    res = run_cli("validate", "--models", str(tmp_path / "nope"), "--priors", str(tmp_path / "none"))
    assert res.returncode == 2
    assert "models folder does not exist" in res.stderr
    assert "priors folder does not exist" in res.stderr
