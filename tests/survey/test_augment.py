"""The latent-state step of augmented learn, checked against enumeration on a tiny network."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from bayescollab.survey.augment import (
    LatentLayout,
    block_conditional,
    block_states,
    complete_log_likelihood,
    draw_block,
    full_conditional,
    gibbs_sweep,
)

# a tiny network: a -> c <- b, c -> d; d and a are measured (answer rows)
CARDS = (2, 3, 3, 2)
PARENTS = ((), (), (0, 1), (2,))


def tiny_layout() -> LatentLayout:
    children: list[list[tuple[int, int]]] = [[] for _ in CARDS]
    for j, pa in enumerate(PARENTS):
        for pos, p in enumerate(pa):
            children[p].append((j, pos))
    return LatentLayout(("a", "b", "c", "d"), CARDS, PARENTS, tuple(tuple(c) for c in children), ("a", "d"))


def random_tables(rng: np.random.Generator) -> list[np.ndarray]:
    tables = []
    for j, pa in enumerate(PARENTS):
        raw = rng.gamma(1.0, size=(CARDS[j], *(CARDS[p] for p in pa)))
        tables.append(np.log(raw / raw.sum(axis=0, keepdims=True)))
    return tables


def joint(tables, rows, layout, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Every completion of collaboration c and its normalised posterior probability."""
    configs = np.array(list(product(*(range(k) for k in CARDS))))
    logp = np.array(
        [
            complete_log_likelihood(x[None, :], tables, {j: r[c : c + 1] for j, r in rows.items()}, layout)
            for x in configs
        ]
    )
    p = np.exp(logp - logp.max())
    return configs, p / p.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_conditionals_equal_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    layout = tiny_layout()
    tables = random_tables(rng)
    rows = {0: rng.normal(size=(3, 2)), 3: rng.normal(size=(3, 2)) * 3}
    states = np.stack([rng.integers(0, k, size=3) for k in CARDS], axis=1)
    for c in range(3):
        configs, p = joint(tables, rows, layout, c)
        for j in range(len(CARDS)):
            others = [i for i in range(len(CARDS)) if i != j]
            match = (configs[:, others] == states[c, others]).all(axis=1)
            expected = np.array([p[match & (configs[:, j] == s)].sum() for s in range(CARDS[j])])
            got = np.exp(full_conditional(j, states, tables, rows, layout))[c]
            np.testing.assert_allclose(got, expected / expected.sum(), atol=1e-12)


def test_gibbs_draws_follow_the_enumerated_posterior() -> None:
    rng = np.random.default_rng(5)
    layout = tiny_layout()
    tables = random_tables(rng)
    rows = {0: np.array([[0.0, 1.5]]), 3: np.array([[2.0, -1.0]])}
    configs, p = joint(tables, rows, layout, 0)
    n = 4000
    states = np.zeros((n, len(CARDS)), dtype=np.int64)  # n independent chains of one collaboration
    wide = {j: np.repeat(r, n, axis=0) for j, r in rows.items()}
    for _ in range(30):
        gibbs_sweep(states, tables, wide, layout, rng)
    flat = np.ravel_multi_index(states.T, CARDS)
    freq = np.bincount(flat, minlength=len(configs)) / n
    expected = p[np.argsort(np.ravel_multi_index(configs.T, CARDS))]
    # each cell within 4.5 binomial sd of its exact probability
    assert np.all(np.abs(freq - expected) <= 4.5 * np.sqrt(expected * (1 - expected) / n) + 1e-3)


@pytest.mark.parametrize("block", [(1,), (0, 1), (1, 2), (0, 1, 2)])
def test_block_conditionals_equal_enumeration(block: tuple[int, ...]) -> None:
    """The joint conditional of a block (what a collapsed block is redrawn from) is the
    enumerated posterior of its columns given the others; a single column gives full_conditional."""
    rng = np.random.default_rng(len(block) * 10 + block[0])
    layout = tiny_layout()
    tables = random_tables(rng)
    rows = {0: rng.normal(size=(3, 2)), 3: rng.normal(size=(3, 2)) * 3}
    states = np.stack([rng.integers(0, k, size=3) for k in CARDS], axis=1)
    joint_states = block_states(layout, block)
    assert len(joint_states) == np.prod([CARDS[j] for j in block])
    got = np.exp(block_conditional(block, states, tables, rows, layout))
    others = [i for i in range(len(CARDS)) if i not in block]
    for c in range(3):
        configs, p = joint(tables, rows, layout, c)
        match = (configs[:, others] == states[c, others]).all(axis=1)
        in_block = configs[:, list(block)]
        expected = np.array([p[match & (in_block == v).all(axis=1)].sum() for v in joint_states])
        np.testing.assert_allclose(got[c], expected / expected.sum(), atol=1e-12)
    if len(block) == 1:
        np.testing.assert_allclose(got, np.exp(full_conditional(block[0], states, tables, rows, layout)))


def test_block_draws_follow_the_block_conditional() -> None:
    rng = np.random.default_rng(9)
    layout = tiny_layout()
    tables = random_tables(rng)
    n = 6000
    block = (0, 2)
    states = np.zeros((n, len(CARDS)), dtype=np.int64)
    states[:, 1], states[:, 3] = 2, 1  # the other columns fixed: every row has the same conditional
    rows = {0: np.repeat([[0.3, -0.4]], n, axis=0), 3: np.repeat([[1.0, -1.0]], n, axis=0)}
    first = {j: r[:1] for j, r in rows.items()}
    expected = np.exp(block_conditional(block, states[:1], tables, first, layout))[0]
    draw_block(block, states, tables, rows, layout, rng)
    assert (states[:, 1] == 2).all() and (states[:, 3] == 1).all()  # only the block moves
    index = np.ravel_multi_index(states[:, list(block)].T, [CARDS[j] for j in block])
    freq = np.bincount(index, minlength=len(expected)) / n
    assert np.all(np.abs(freq - expected) <= 4.5 * np.sqrt(expected * (1 - expected) / n) + 1e-3)
