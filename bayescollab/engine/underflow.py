"""A floor under likelihood vectors, so soft evidence does not run the arithmetic subnormal.

Why: a collaboration's answers give each measured node a likelihood whose entries span
hundreds of decades (21 respondents on the shipped example: down to 1e-181 of the largest
entry). Their products inside the contraction land in float64's subnormal range
(2.2e-308 ... 4.9e-324), where x86 CPUs run each multiply-add through a microcode assist. On
the shipped example's posterior pass the largest step, 1,944 products of 216x27 by 27x6,
took 137 ms on those operands against 10 ms on normal numbers of the same shape
(docs/performance.md, "Subnormal arithmetic"). numpy exposes no flush-to-zero switch.

What: every entry of a likelihood vector is raised to at least ``LIKELIHOOD_FLOOR`` times the
vector's largest entry. This is not an approximation left unchecked. With ``m_i`` the largest
entry of factor ``i`` and ``M`` their product, each product of factors moves by at most
``k * LIKELIHOOD_FLOOR * M`` when ``k`` factors were raised, and so does the evidence mass
``Z`` and every joint entry (the CPT part of the sum is a probability distribution). Every
posterior probability then moves by at most ``2 * slack / Z'`` (``Z'`` the floored mass,
``slack = k * LIKELIHOOD_FLOOR * M``). :func:`floor_holds` checks that bound against the mass
each query computes anyway; where it fails, the caller runs the query again unfloored, so the
answer is always within ``FLOOR_TOLERANCE`` of the exact one (1e-14, far inside the 1e-9
agreement with pgmpy the tests hold).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["FLOOR_TOLERANCE", "LIKELIHOOD_FLOOR", "floor_holds", "floor_likelihoods"]

#: entries below this fraction of their vector's largest one are raised to it
LIKELIHOOD_FLOOR = 1e-30
#: the largest change in any posterior probability a floored query may carry
FLOOR_TOLERANCE = 1e-14


def floor_likelihoods(
    virtual: Mapping[str, np.ndarray], floor: float = LIKELIHOOD_FLOOR
) -> tuple[dict[str, np.ndarray], float]:
    """The likelihood vectors with :data:`LIKELIHOOD_FLOOR` applied, and the bound's slack.

    Only one-dimensional vectors with a positive largest entry are floored (batched rows are
    left as they are). Returns the vectors (the same objects where nothing changed) and
    ``slack = k * floor * M`` (module docstring); 0.0 when no entry was raised.
    """
    out: dict[str, np.ndarray] = {}
    raised = 0
    scale = 1.0
    for node, vec in virtual.items():
        vec = np.asarray(vec)
        top = float(vec.max()) if vec.ndim == 1 and vec.size else 0.0
        if top > 0.0:
            scale *= top
            low = floor * top
            if np.any(vec < low):
                vec = np.maximum(vec, low)
                raised += 1
        out[node] = vec
    return out, raised * floor * scale


def floor_holds(mass: np.ndarray | float, slack: float, tolerance: float = FLOOR_TOLERANCE) -> bool:
    """Whether a floored query's posteriors are within ``tolerance`` of the exact ones.

    ``mass`` is the floored evidence mass the query computed (one per draw or case); the
    bound is ``2 * slack / mass`` (module docstring).
    """
    if slack == 0.0:
        return True
    mass = np.asarray(mass, dtype=float)
    return bool(np.all(2.0 * slack <= tolerance * mass))
