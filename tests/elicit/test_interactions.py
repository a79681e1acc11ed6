"""Every interaction a record states shapes a CPT or carries a stated reason; moderations never flip."""

from __future__ import annotations

import numpy as np
import yaml

import bayescollab as bc
from bayescollab._paths import models_dir
from bayescollab.elicit.cpt import node_cpt, parent_scores


def _not_modelled() -> dict[str, str]:
    raw = yaml.safe_load((models_dir() / "interactions.yaml").read_text(encoding="utf-8"))
    return {e["cmoc"]: e["reason"] for e in raw["record_interactions_not_modelled"]}


def test_every_record_interaction_is_modelled_or_explained(model: bc.Model) -> None:
    theory = model.theory
    reasons = _not_modelled()
    for cid, rec in theory.cmocs.items():
        if rec.interaction is None:
            continue
        key = (rec.interaction.modifier, rec.interaction.parent, rec.interaction.child)
        shaped = any((i.modifier, i.parent, i.child) == key and cid in i.cmocs for i in theory.interactions)
        assert shaped or len(reasons.get(cid, "")) > 40, f"{cid} {key}: no interaction term and no reason"
        assert not (shaped and cid in reasons), f"{cid} is both modelled and explained away"
    assert set(reasons) <= set(theory.cmocs)


def test_moderation_never_flips_a_main_effect(model: bc.Model) -> None:
    """Over prior draws, a moderated parent moves its child the same way in every moderator setting.

    A parent that is itself the modifier of another term on the same child (conflict on trust
    also weakens communication's effect on trust) is left out: moving it changes that other
    term too, which is the other interaction, not a flip of this one.
    """
    theory, spec = model.theory, model.theta_spec
    crossed = {(i.parent, i.child) for i in theory.interactions if i.kind == "crossover"}
    crossed |= {(i.modifier, i.child) for i in theory.interactions}
    theta = model.sample_theta(20, seed=2)
    for inter in theory.interactions:
        if inter.kind != "moderation" or (inter.parent, inter.child) in crossed:
            continue
        parents = theory.parents(inter.child)
        axis = parents.index(inter.parent)
        table = node_cpt(theory, spec, theta, inter.child)  # (D, k, *cards)
        order = np.argsort(parent_scores(theory, inter.parent, inter.child), kind="stable")
        table = np.take(table, order, axis=2 + axis)
        mean = np.tensordot(np.linspace(-1, 1, table.shape[1]), table, axes=([0], [1]))  # (D, *cards)
        step = np.diff(mean, axis=1 + axis)
        w = theta[:, spec.index(f"w[{inter.parent}->{inter.child}]")]
        signs = np.sign(step) * np.sign(w).reshape((-1,) + (1,) * (step.ndim - 1))
        assert (signs >= 0).all(), f"{inter.id} flips the effect of {inter.parent} on {inter.child}"
