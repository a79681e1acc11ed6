"""The one place a user's seed becomes a random generator (STYLE.md §2).

Everything random in bayescollab (prior draws of θ, simulated surveys, sampler seeds) takes a
``seed`` argument and passes it through :func:`get_random_generator`; nothing touches numpy's
global random state, so a caller's own ``np.random`` stream is never reset.
"""

from __future__ import annotations

import numpy as np

#: What a ``seed`` argument accepts: None (fresh entropy), an int, or a Generator to share.
RandomSeed = int | np.integer | np.random.Generator | None


def get_random_generator(seed: RandomSeed = None) -> np.random.Generator:
    """A numpy ``Generator`` for ``seed``; a legacy ``RandomState`` is refused with the fix."""
    if isinstance(seed, np.random.RandomState):
        raise TypeError(
            "seed is a legacy numpy RandomState; expected None, an int or a numpy Generator "
            "(np.random.default_rng(...))"
        )
    accepted = seed is None or isinstance(seed, int | np.integer | np.random.Generator)
    if isinstance(seed, bool) or not accepted:
        raise TypeError(
            f"seed is {seed!r} ({type(seed).__name__}); expected None, an int or a numpy Generator"
        )
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def seeds_per_chain(seed: RandomSeed, chains: int) -> list[int]:
    """One distinct integer seed per sampler chain, all derived from ``seed``."""
    rng = get_random_generator(seed)
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=chains)]
