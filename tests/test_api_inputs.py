"""Python API inputs: wrong types name the argument, the bad value and the expected type; likelihoods
have no scale (uniform tiny virtual evidence is no evidence), but all-zero likelihoods are impossible."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bayescollab as bc
from bayescollab.errors import ImpossibleEvidenceError


@pytest.mark.parametrize(
    ("target", "kwargs", "needle"),
    [
        (3, {}, "target must be a node id (str), e.g. 'collaboration_form'; got 3 (int)"),
        (None, {}, "target must be a node id (str)"),
        ("trust", {"evidence": ["mandated"]}, "evidence must be a dict {node: state}"),
        ("trust", {"evidence": "mandated=mandated"}, "got 'mandated=mandated' (str)"),
        ("trust", {"do": [("mandated", "mandated")]}, "do must be a dict {node: state}"),
        ("trust", {"virtual_evidence": [0.2, 0.8]}, "virtual_evidence must be a dict"),
        (
            "trust",
            {"virtual_evidence": {"conflict": "high"}},
            "virtual_evidence['conflict'] must be one number",
        ),
        (
            "trust",
            {"virtual_evidence": {"conflict": {"high": "0.5"}}},
            "holds '0.5' (str); expected a number",
        ),
        ("trust", {"evidence": {3: "x"}}, "a key of evidence must be a node id (str)"),
    ],
)
def test_wrong_types_name_argument_value_and_type(model: bc.Model, target, kwargs, needle: str) -> None:
    with pytest.raises(TypeError) as caught:
        model.query(target, **kwargs)
    assert needle in str(caught.value)


def test_uniform_tiny_virtual_evidence_is_no_evidence(model: bc.Model) -> None:
    plain = model.query("trust")
    for scale in (1e-310, 1e-200, 1e200):
        tiny = model.query("trust", virtual_evidence={"conflict": [scale] * 3})
        np.testing.assert_allclose(list(tiny.values()), list(plain.values()), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
    st.sampled_from([1e-300, 1e-30, 1.0, 1e30, 1e300]),
)
def test_likelihoods_have_no_scale(model: bc.Model, weights: list[float], scale: float) -> None:
    """P(target | λ) equals P(target | c·λ) for any c > 0, down to the subnormal range."""
    base = model.query("faith", virtual_evidence={"conflict": weights})
    scaled = model.query("faith", virtual_evidence={"conflict": [w * scale for w in weights]})
    np.testing.assert_allclose(list(scaled.values()), list(base.values()), rtol=1e-9)


def test_all_zero_likelihood_is_still_impossible(model: bc.Model) -> None:
    with pytest.raises(ImpossibleEvidenceError, match=r"zero for every state \['low', 'medium', 'high'\]"):
        model.query("trust", virtual_evidence={"conflict": [0.0, 0.0, 0.0]})
    with pytest.raises(ValueError, match="finite and non-negative"):
        model.query("trust", virtual_evidence={"conflict": [1.0, -1.0, 0.0]})
