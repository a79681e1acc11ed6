"""The bnlearn repository networks shipped with pgmpy, as engine networks and pyAgrum networks.

Used by ``bench_speed.py`` (the bnlearn section): warm single queries, engine against pyAgrum's
``LazyPropagation`` (one engine reused) and pgmpy's ``VariableElimination`` as the reference.
Nothing here is part of the package: it only reads the files pgmpy installs.
"""

from __future__ import annotations

import gzip
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bayescollab.engine.exact import Network, query_joint

#: asia … pigs in the issue's order (munin is left out: its queries take minutes everywhere)
NETWORKS = (
    "asia", "alarm", "child", "insurance", "hailfinder", "hepar2", "win95pts",
    "andes", "pathfinder", "pigs", "water", "mildew", "barley",
)  # fmt: skip
CASES = 20
OBSERVED = 5


@dataclass
class Loaded:
    name: str
    net: Network
    states: dict[str, list[str]]
    pgmpy: Any
    agrum: Any


def bif_path(name: str) -> Path:
    import pgmpy

    return Path(pgmpy.__file__).parent / "utils" / "example_models" / f"{name}.bif.gz"


def load(name: str) -> Loaded:
    """Read ``name``'s BIF once with pgmpy (reference and engine network) and once with pyAgrum."""
    from pgmpy.readwrite import BIFReader

    text = gzip.decompress(bif_path(name).read_bytes()).decode("utf-8")
    bn = BIFReader(string=text).get_model()
    order = tuple(_topological(bn))
    parents, cpts, states = {}, {}, {}
    for node in order:
        cpd = bn.get_cpds(node)
        parents[node] = tuple(cpd.variables[1:])
        cpts[node] = np.asarray(cpd.get_values(), dtype=float).reshape(cpd.cardinality)
        states[node] = list(cpd.state_names[node])
    net = Network(order, parents, cpts, states=states)
    return Loaded(name, net, states, bn, to_agrum(net))


def to_agrum(net: Network):
    """The same network in pyAgrum, built from the arrays (its BIF parser refuses some of the
    files' state names, e.g. ``Asy/Patch``); states are addressed by index."""
    import pyagrum as gum

    bn = gum.BayesNet()
    for n in net.order:
        bn.add(gum.LabelizedVariable(n, n, net.card(n)))
    for n in net.order:
        for p in net.parents[n]:
            bn.addArc(p, n)
    for n in net.order:
        pa = list(net.parents[n])
        # fillWith runs through the tensor's variables with the first name varying fastest,
        # i.e. C order over the names reversed; map our (child, *parents) axes onto that
        potential = bn.cpt(n)
        axes = [0 if v == n else 1 + pa.index(v) for v in potential.names]
        potential.fillWith(np.transpose(net.cpts[n], list(reversed(axes))).ravel().tolist())
    return bn


def _topological(bn) -> list[str]:
    import networkx as nx

    return list(nx.lexicographical_topological_sort(bn))


def random_cases(loaded: Loaded, n: int = CASES, k: int = OBSERVED, seed: int = 13) -> list[tuple[str, dict]]:
    """``n`` (target, {node: state name}) cases, ``k`` observed nodes each, possible evidence only.

    The evidence is drawn by forward sampling, so every case has P(evidence) > 0.
    """
    from bayescollab.engine.sample import forward_sample

    rng = np.random.default_rng(seed)
    nodes = list(loaded.net.order)
    sample = forward_sample(loaded.net, n, rng)
    cases = []
    for i in range(n):
        picked = rng.choice(len(nodes), size=k + 1, replace=False)
        target, observed = nodes[picked[0]], [nodes[j] for j in picked[1:]]
        cases.append((target, {o: loaded.states[o][int(sample[o][i])] for o in observed}))
    return cases


def engine_query(loaded: Loaded, target: str, evidence: dict[str, str]) -> np.ndarray:
    index = {n: loaded.states[n].index(s) for n, s in evidence.items()}
    return query_joint(loaded.net, [target], evidence=index)


def agrum_query(loaded: Loaded, engine, target: str, evidence: dict[str, str]) -> np.ndarray:
    """pyAgrum at its best for one posterior: only ``target`` is a target (its default, every
    node a target, was 4-8x slower on alarm and andes), the engine and its junction tree reused."""
    engine.eraseAllEvidence()
    engine.eraseAllTargets()
    engine.addTarget(target)
    for node, state in evidence.items():
        engine.addEvidence(node, loaded.states[node].index(state))
    engine.makeInference()
    return np.asarray(engine.posterior(target).toarray())


def pgmpy_query(ve, target: str, evidence: dict[str, str]) -> np.ndarray:
    return ve.query([target], evidence=evidence, show_progress=False).values


def _median_per_case(fn, cases, repeat: int) -> float:
    """Median over ``repeat`` rounds of the mean time per case (every case warmed first)."""
    for target, evidence in cases:
        fn(target, evidence)
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for target, evidence in cases:
            fn(target, evidence)
        rounds.append((time.perf_counter() - start) / len(cases))
    return float(np.median(rounds))


def bench_network(name: str, repeat: int = 5, pgmpy_cases: int = 3) -> dict[str, Any]:
    """Warm per-query time of the engine and of pyAgrum on 20 random cases; max |diff| vs pgmpy."""
    import pyagrum as gum
    from pgmpy.inference import VariableElimination

    t0 = time.perf_counter()
    loaded = load(name)
    load_s = time.perf_counter() - t0
    cases = random_cases(loaded)
    lazy = gum.LazyPropagation(loaded.agrum)
    ours = _median_per_case(lambda t, e: engine_query(loaded, t, e), cases, repeat)
    theirs = _median_per_case(lambda t, e: agrum_query(loaded, lazy, t, e), cases, repeat)
    ve = VariableElimination(loaded.pgmpy)
    diff = 0.0
    agrum_diff = 0.0
    for target, evidence in cases[:pgmpy_cases]:
        ref = pgmpy_query(ve, target, evidence)
        diff = max(diff, float(np.abs(engine_query(loaded, target, evidence) - ref).max()))
        agrum_diff = max(agrum_diff, float(np.abs(agrum_query(loaded, lazy, target, evidence) - ref).max()))
    return {
        "network": name,
        "nodes": len(loaded.net.order),
        "load_s": load_s,
        "bayescollab_ms": 1e3 * ours,
        "pyagrum_lazy_ms": 1e3 * theirs,
        "ratio_ours_over_pyagrum": ours / theirs,
        "max_abs_diff_vs_pgmpy": diff,
        "pyagrum_max_abs_diff_vs_pgmpy": agrum_diff,
        "pgmpy_checked_cases": min(pgmpy_cases, len(cases)),
    }
