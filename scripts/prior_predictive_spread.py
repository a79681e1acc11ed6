"""Share of each answer option in the prior predictive of the survey, per scale.

Run: ``.venv/bin/python scripts/prior_predictive_spread.py [OUT.json]``. Draws ``--draws`` θ
from the prior and, for each, a synthetic survey of a few collaborations through
:func:`bayescollab.survey.simulate.simulate_survey`; pools the answers of every item of a
scale (likert5, maturity3, ...) and reports the share per answer code. Issue 11 asks that
these stay spread across each scale after a CPT change (no scale collapsing on one end).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np

import bayescollab as bc
from bayescollab.survey.simulate import simulate_survey


def answer_shares(model: bc.Model, *, draws: int, collaborations: int, seed: int) -> dict[str, list[float]]:
    """Pooled share of each answer code per scale over ``draws`` prior θ draws."""
    counts: dict[str, np.ndarray] = {}
    thetas = model.sample_theta(draws, seed=seed)
    for d, theta in enumerate(thetas):
        sim = simulate_survey(
            model.with_theta(theta),
            collaborations=collaborations,
            respondents=3,
            seed=seed + d,
            blank_rate=0.0,
        )
        by_scale: dict[str, list] = defaultdict(list)
        for item in sim.instrument.items:
            if item.scale == "choice":
                continue
            by_scale[item.scale].append(sim.answers[item.item_id].dropna().to_numpy(dtype=int))
        for scale, parts in by_scale.items():
            n_options = max(i.n_options for i in sim.instrument.items if i.scale == scale)
            c = np.bincount(np.concatenate(parts), minlength=n_options)
            counts[scale] = counts.get(scale, 0) + c
    return {s: [round(float(x), 4) for x in c / c.sum()] for s, c in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?")
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--collaborations", type=int, default=25)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    shares = answer_shares(
        bc.load_model(), draws=args.draws, collaborations=args.collaborations, seed=args.seed
    )
    text = json.dumps(shares, indent=1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
