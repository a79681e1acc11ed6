"""The generated effects table: every context's and mechanism's do() effect, over prior draws.

For each source X (an ordered context or a mechanism) and each mechanism or outcome T, the
effect is P(T = high | do(X = last state)) - P(T = high | do(X = first state)), at the
prior-mean θ and over prior draws of θ (a 90% interval).

How it is computed, and why. Exact contraction per (source, state, target) costs 1-15 s on
this network (a plan per intervened structure), so the ~3,500 entries times their draws would
take hours. Instead the table forward-samples the network with *common random numbers*: one
set of uniforms per (draw, sample, node) serves every intervention, so a node that is not a
descendant of X takes the same value under both of X's states (its effect is exactly 0) and
the Monte Carlo noise of a difference is far below that of each probability. The draws ride
on the CPT tensors (:meth:`bayescollab.Model.draw_network`). ``tests/test_effects.py`` checks
entries against exact queries (:meth:`bayescollab.Model.query`) within the stated Monte Carlo
error; the magnitude claims (``models/magnitude_claims.yaml``) are checked exactly.

Seed claims sit beside the entries they speak to: magnitude claims and, for direct links, the
records behind the link; an entry nobody claims is marked "seeds silent". ``docs/effects.md``
is this table rendered (``scripts/make_effects_doc.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bayescollab._paths import models_dir, priors_dir
from bayescollab.model import Model, load_model
from bayescollab.theory import graph

#: interval reported over prior draws
INTERVAL = (0.05, 0.95)


@dataclass(frozen=True)
class Effect:
    """P(target = high) under do(source = high end) minus under do(source = low end)."""

    source: str
    target: str
    contrast: tuple[str, str]
    mean: float  # at the prior-mean θ
    lo: float  # 5% quantile over prior draws
    hi: float  # 95% quantile over prior draws
    share_positive: float  # share of draws with a positive effect

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "target": self.target,
            "contrast": f"{self.contrast[0]} - {self.contrast[1]}",
            "mean": round(self.mean, 4),
            "interval90": [round(self.lo, 4), round(self.hi, 4)],
            "share_positive": round(self.share_positive, 3),
        }


def sources(model: Model) -> list[str]:
    """Ordered contexts and every mechanism/outcome: the nodes an effect can be asked of."""
    return [n for n, s in model.theory.nodes.items() if s.ordered]


def targets(model: Model) -> list[str]:
    return [n for n, s in model.theory.nodes.items() if s.kind != "context"]


class _Sampler:
    """Ancestral sampling of D networks (one per θ row) with fixed uniforms, under any do()."""

    def __init__(self, model: Model, theta: np.ndarray, n_samples: int, seed: int):
        net = model.draw_network(theta)
        self.order = list(net.order)
        self.parents = {n: list(net.parents[n]) for n in self.order}
        self.n_draws, self.n_samples = len(theta), n_samples
        self.cum = {}
        for node in self.order:
            table = np.moveaxis(np.asarray(net.cpts[node]), 1, -1)  # (D, *parent cards, k)
            cards = table.shape[1:-1]
            self.cum[node] = (
                np.cumsum(table, axis=-1)[..., :-1].reshape(len(theta), -1, table.shape[-1] - 1),
                cards,
            )
        rng = np.random.default_rng(seed)
        self.uniform = {n: rng.random((len(theta), n_samples)) for n in self.order}
        self.base = self.run({})

    def _draw(self, node: str, values: dict[str, np.ndarray]) -> np.ndarray:
        cum, cards = self.cum[node]
        d = np.arange(self.n_draws)[:, None]
        if not cards:
            flat = np.zeros((self.n_draws, self.n_samples), dtype=np.int64)
        else:
            flat = np.ravel_multi_index(tuple(values[p] for p in self.parents[node]), cards)
        picked = cum[d, flat]  # (D, N, k - 1)
        return (self.uniform[node][..., None] > picked).sum(axis=-1)

    def run(self, do: dict[str, int], only: set[str] | None = None) -> dict[str, np.ndarray]:
        """State of every node per (draw, sample); nodes outside ``only`` are taken from the base run."""
        values: dict[str, np.ndarray] = {}
        for node in self.order:
            if node in do:
                values[node] = np.full((self.n_draws, self.n_samples), do[node])
            elif only is not None and node not in only:
                values[node] = self.base[node]
            else:
                values[node] = self._draw(node, values)
        return values

    def descendants(self, node: str) -> set[str]:
        return graph.descendants(self.parents, node)


def effect_draws(
    model: Model, theta: np.ndarray, *, n_samples: int = 4000, seed: int = 11
) -> dict[tuple[str, str], np.ndarray]:
    """(source, target) -> effect under each row of ``theta`` (shape (D,)), every pair."""
    sampler = _Sampler(model, theta, n_samples, seed)
    high = {t: model.states(t).index("high") for t in targets(model)}
    out: dict[tuple[str, str], np.ndarray] = {}
    for s in sources(model):
        below = sampler.descendants(s)
        last = sampler.run({s: len(model.states(s)) - 1}, only=below)
        first = sampler.run({s: 0}, only=below)
        for t in targets(model):
            if t == s:
                continue
            if t not in below:
                out[(s, t)] = np.zeros(len(theta))
                continue
            out[(s, t)] = (last[t] == high[t]).mean(axis=1) - (first[t] == high[t]).mean(axis=1)
    return out


def effects_table(model: Model, *, draws: int = 50, n_samples: int = 4000, seed: int = 11) -> list[Effect]:
    """Every (source, target) effect at the prior mean with its 90% interval over ``draws`` prior draws."""
    theta = np.vstack([model.theta[None, :], model.sample_theta(draws, seed=seed)])
    raw = effect_draws(model, theta, n_samples=n_samples, seed=seed)
    out = []
    for (s, t), values in raw.items():
        states = model.states(s)
        lo, hi = np.quantile(values[1:], INTERVAL)
        out.append(
            Effect(
                s,
                t,
                (states[-1], states[0]),
                float(values[0]),
                float(lo),
                float(hi),
                float((values[1:] > 0).mean()),
            )
        )
    return out


def inputs_hash(models: Path | None = None, priors: Path | None = None) -> str:
    """sha256 over the data in ``models/`` and ``priors/`` and what the CPT family makes of it.

    The fingerprint is semantic, not textual: the data files' bytes, θ's prior mean and sd, and
    every CPT at the prior mean (rounded to 1e-12). A change to the family that moves a number
    marks ``docs/effects.md`` stale; a refactor or a docstring edit that moves none does not.
    ``models/examples/`` (a synthetic survey drawn from the model) is an output, not an input.
    """
    digest = hashlib.sha256()
    for folder in (models or models_dir(), priors or priors_dir()):
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and "examples" not in path.relative_to(folder).parts:
                digest.update(path.relative_to(folder).as_posix().encode())
                digest.update(path.read_bytes())
    model = load_model(models, priors, plan_store=None)
    for values in (model.theta_spec.prior_mean(), model.theta_spec.prior_sd()):
        digest.update(np.round(np.asarray(values, dtype=float), 12).tobytes())
    for node in model.nodes:
        digest.update(node.encode())
        digest.update(np.round(np.asarray(model.cpts[node], dtype=float), 12).tobytes())
    return digest.hexdigest()[:16]
