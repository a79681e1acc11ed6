"""The complete-data log-likelihood as a PyTensor graph that computes only the CPT entries used.

Given every collaboration's latent states, log P(states | θ) needs one CPT entry per
(collaboration, node): the child's state in the row of its parents' states. The full tables
have ~10^4 rows for the densely linked mechanisms (3^8 parent configurations of trust); 50
collaborations visit at most 50 of them. So instead of deriving every table
(:class:`~bayescollab.elicit.family.CPTFamily`) and gathering, this gathers the family's design
rows first (the rows the states select) and evaluates the ordered probit only there: the same
formulas as ``CPTFamily.cpts`` (tests check the two agree), on (collaborations × nodes) rows.
That keeps θ's NUTS gradient at a few milliseconds, whatever the number of parents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from bayescollab.elicit.cpt import SMOOTH_ABS, moderation_gain, pytensor_ops, threshold_scale
from bayescollab.elicit.family import CPTFamily
from bayescollab.survey.augment import LatentLayout

#: stands for ±infinity among the thresholds (Φ of it is 0 or 1 with a zero gradient)
_FAR = 1e3


def _padded(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A dense (R, P) design as (R, K) column indices and values of its non-zeros (0-padded)."""
    k = max(1, int((dense != 0).sum(axis=1).max(initial=0)))
    idx = np.argsort(dense == 0, axis=1, kind="stable")[:, :k]
    return idx.astype(np.int64), np.take_along_axis(dense, idx, axis=1)


@dataclass(frozen=True)
class _GroupRows:
    n_states: int
    arrays: dict[str, np.ndarray]  # design arrays of the group, rows as in CPTFamily
    columns: np.ndarray  # (M,) layout column of each member node
    starts: np.ndarray  # (M,) its first design row
    parent_columns: np.ndarray  # (M, max parents) layout columns of its parents (0-padded)
    strides: np.ndarray  # (M, max parents) C-order strides over its parents' states (0 = padding)


def _row_index(members: list[tuple[int, int, tuple[int, ...], tuple[int, ...]]]) -> tuple[np.ndarray, ...]:
    """Member columns, first rows, padded parent columns and strides: row = start + Σ state · stride.

    One gather and one sum for every member at once keeps the graph small (a per-member Python
    loop made hundreds of ops, and PyTensor's rewriting of them dominated the compile time).
    """
    width = max((len(parents) for _, _, parents, _ in members), default=0)
    parent_columns = np.zeros((len(members), max(width, 1)), dtype=np.int64)
    strides = np.zeros_like(parent_columns)
    for m, (_, _, parents, cards) in enumerate(members):
        parent_columns[m, : len(parents)] = parents
        strides[m, : len(parents)] = np.cumprod((1, *cards[:0:-1]))[::-1] if parents else []
    columns = np.array([j for j, _, _, _ in members], dtype=np.int64)
    starts = np.array([start for _, start, _, _ in members], dtype=np.int64)
    return columns, starts, parent_columns, strides


class GatheredFamily:
    """log P(states | θ) over the layout's non-root nodes, from the design rows the states pick."""

    def __init__(self, family: CPTFamily, layout: LatentLayout):
        self.spec = family.spec
        col = layout.column
        self.groups: list[_GroupRows] = []
        for g in family.groups:
            members = tuple(
                (col[n], start, layout.parents[col[n]], cards)
                for n, (start, _stop, cards) in g.slices.items()
                if n in col
            )
            if not members:
                continue
            keys = ("mod_w", "mod_s", "mod_v", "mod_u", "mod_a", "noise_index", "baseline")
            arrays = {k: getattr(g, k) for k in keys}
            for name in ("lin", "q_free", "q_all", "r_all"):
                arrays[f"{name}_idx"], arrays[f"{name}_val"] = _padded(getattr(g, name))
            self.groups.append(_GroupRows(g.n_states, arrays, *_row_index(list(members))))
        roots = [j for j, pa in enumerate(layout.parents) if not pa]
        #: Σ log(1/card) over root columns, per collaboration (roots' priors are uniform, θ-free)
        self.root_constant = float(sum(-np.log(layout.cards[j]) for j in roots))

    def log_prob(self, states, theta):
        """Σ_c Σ_nodes log P(x[c, node] | x[c, parents]; θ) for symbolic (C, L) states and θ."""
        import pytensor.tensor as pt

        ops = pytensor_ops()
        spec = self.spec
        total = self.root_constant * states.shape[0]
        for g in self.groups:
            r = ((states[:, g.parent_columns] * g.strides).sum(axis=-1) + g.starts).ravel()  # (C * M,)
            x = states[:, g.columns].ravel()
            a = {k: pt.as_tensor(v)[r] for k, v in g.arrays.items()}

            sq = theta**2
            drive = _dot(a, "lin", theta)
            baseline = a["baseline"]  # w0 of each row's node (left-out causes)
            norm2 = baseline**2 + _dot(a, "q_free", sq)
            spread = _dot(a, "q_all", sq)
            reach = _dot(a, "r_all", pt.sqrt(sq + SMOOTH_ABS))
            if g.arrays["mod_w"].shape[1]:
                gain = moderation_gain(spec, (theta[a["mod_u"]] * a["mod_a"]).sum(axis=-1), pt)
                w = theta[a["mod_w"]] * gain
                drive = drive + (w * a["mod_s"]).sum(axis=-1)
                norm2 = norm2 + (w**2 * a["mod_v"]).sum(axis=-1)
            sigma = theta[a["noise_index"]]
            eta = spec.latent_scale * drive / pt.sqrt(norm2)
            tau = threshold_scale(spec, sigma, spread, reach, pt, baseline)
            z = np.concatenate([[-_FAR], ndtri(np.arange(1, g.n_states) / g.n_states), [_FAR]])
            z = pt.as_tensor(z)
            upper = ops.ndtr((tau * z[x + 1] - eta) / sigma)
            lower = ops.ndtr((tau * z[x] - eta) / sigma)
            total = total + pt.log(pt.maximum(upper - lower, 1e-300)).sum()
        return total


def _dot(a: dict, name: str, vec):
    """Row-wise ``vec @ design[row]`` from the gathered (rows, K) indices and values."""
    return (vec[a[f"{name}_idx"]] * a[f"{name}_val"]).sum(axis=-1)
