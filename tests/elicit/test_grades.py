"""Evidence points count works, not citation numbers, and keep growing (slowly) with more works."""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bayescollab as bc
from bayescollab.elicit.grades import citation_points, distinct_works, summarise_records
from bayescollab.elicit.settings import Scoring, load_settings
from bayescollab.theory.citations import citation_map

S0, S1, S2 = "000_fe0097164cc621a7.txt", "001_6928d31e97453c0f.txt", "002_88c03433245ed2d8.txt"


@pytest.fixture(scope="module")
def cmap(theory: bc.Theory):
    return citation_map(theory.root)


def test_a_work_cited_by_two_seeds_counts_once(cmap) -> None:
    assert distinct_works(cmap, {(S0, "72"), (S2, "197")}) == {"timmins2019"}
    assert len(distinct_works(cmap, {(S0, "72"), (S2, "197"), (S0, "6"), (S2, "60")})) == 2


def test_an_unidentified_citation_joins_a_candidate_already_cited(cmap) -> None:
    # 001 (43) and (44) are Casey 2008 and Dickinson et al. 2007 in some order (the parallel 002 passage)
    assert distinct_works(cmap, {(S1, "43")}) == {"ref:001:43"}
    assert len(distinct_works(cmap, {(S1, "43"), (S0, "6")})) == 1
    # two different numbers of one seed are two works, even when only one candidate is cited
    assert len(distinct_works(cmap, {(S1, "43"), (S1, "44"), (S0, "6")})) == 2
    assert len(distinct_works(cmap, {(S1, "43"), (S1, "44"), (S0, "6"), (S0, "75")})) == 2


def test_a_seed_cited_as_a_work_is_not_counted_beside_its_own_references(cmap) -> None:
    # 000 [18] is seed 001 itself; alone it is one work, beside 001's own references it adds none
    assert distinct_works(cmap, {(S0, "18")}) == {"aunger2021a"}
    assert distinct_works(cmap, {(S0, "18"), (S1, "31")}) == {"vangen2003"}


@given(st.integers(min_value=0, max_value=500))
def test_citation_points_grow_with_diminishing_returns(n: int) -> None:
    scoring = _scoring()
    gain = citation_points(scoring, n + 1) - citation_points(scoring, n)
    assert gain > 0
    assert citation_points(scoring, n + 2) - citation_points(scoring, n + 1) <= gain + 1e-12


@lru_cache(maxsize=1)
def _scoring() -> Scoring:
    return load_settings().scoring


def test_fifty_one_works_weigh_more_than_four() -> None:
    scoring = _scoring()
    assert citation_points(scoring, 51) > 2 * citation_points(scoring, 4)


def test_edge_points_count_works(model: bc.Model) -> None:
    """The best-cited edge has fewer works than citation numbers, and its points exceed the old cap."""
    theory, settings = model.theory, model.settings
    edges = [e for e in theory.edges if e.cmocs]
    best = max(edges, key=lambda e: len(summarise_records(theory, e.cmocs, (), settings).citations))
    ev = summarise_records(theory, best.cmocs, best.conflicting, settings)
    assert len(ev.works) < len(ev.citations)
    four = citation_points(settings.scoring, 4)
    assert citation_points(settings.scoring, len(ev.works)) > four
