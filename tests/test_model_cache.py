"""The load_model disk cache is never a source of truth: a corrupted, foreign or stale entry is
detected and rebuilt from the files, and the answers never change (bayescollab.model_cache)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import yaml

import bayescollab as bc
from bayescollab._paths import models_dir, priors_dir
from bayescollab.model import derive_model_inputs
from bayescollab.model_cache import (
    MAGIC,
    MODEL_CACHE_ENV,
    SHIPPED_MODEL_ENV,
    SHIPPED_MODEL_FILE,
    ModelCache,
    cache_key,
    derivation_sources,
    load_shipped,
    shipped_is_current,
    write_shipped,
)

HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"


def headline(model: bc.Model) -> np.ndarray:
    return np.array(list(model.query(TARGET, evidence=model.scenario(HEADLINE)).values()))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelCache:
    """The user's model cache alone (the shipped inputs would answer the packaged model first)."""
    monkeypatch.setenv(SHIPPED_MODEL_ENV, "off")
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "cache"))
    return ModelCache(tmp_path / "cache")


def _entry(cache: ModelCache) -> Path:
    return cache.entry(cache_key(models_dir(), priors_dir()))


def test_a_cached_load_gives_the_same_model(cache: ModelCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_CACHE_ENV, "off")
    truth = bc.load_model(plan_store=None)
    monkeypatch.setenv(MODEL_CACHE_ENV, str(cache.folder))
    first = bc.load_model(plan_store=None)  # builds the entry
    assert _entry(cache).is_file()
    second = bc.load_model(plan_store=None)  # reads it
    for model in (first, second):
        assert model.nodes == truth.nodes
        assert model.theta_spec.names == truth.theta_spec.names
        np.testing.assert_array_equal(model.theta, truth.theta)
        for node in truth.nodes:
            np.testing.assert_array_equal(model.cpts[node], truth.cpts[node])
            assert not model.cpts[node].flags.writeable
    np.testing.assert_array_equal(headline(second), headline(truth))


def _flip_byte(blob: bytes) -> bytes:
    i = len(blob) - 100
    return blob[:i] + bytes([blob[i] ^ 0xFF]) + blob[i + 1 :]


def _other_payload(blob: bytes) -> bytes:
    """A well-formed entry (right magic, key and digest) whose payload is not a model."""
    import hashlib

    head = blob[: blob.index(b"\n", len(MAGIC)) + 1]
    payload = pickle.dumps({"not": "a model"})
    return head + hashlib.sha256(payload).digest() + payload


def _wrong_cpt(blob: bytes) -> bytes:
    """A well-formed entry whose CPT has the wrong shape: it must not be trusted."""
    import hashlib

    head = blob[: blob.index(b"\n", len(MAGIC)) + 1]
    entry = pickle.loads(blob[len(head) + 32 :])
    entry.prior_cpts["trust"] = entry.prior_cpts["trust"][:, :1]
    payload = pickle.dumps(entry)
    return head + hashlib.sha256(payload).digest() + payload


CORRUPTIONS = {
    "truncated": lambda b: b[: len(b) // 2],
    "empty": lambda b: b"",
    "garbage": lambda b: b"\x00" * 64,
    "flipped_byte": _flip_byte,
    "wrong_magic": lambda b: b"X" + b[1:],
    "not_a_model": _other_payload,
    "wrong_cpt_shape": _wrong_cpt,
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS))
def test_a_corrupted_entry_is_rebuilt_and_the_answer_stays(corrupt: str, cache: ModelCache) -> None:
    truth = headline(bc.load_model(plan_store=None))
    path = _entry(cache)
    path.write_bytes(CORRUPTIONS[corrupt](path.read_bytes()))
    key = cache_key(models_dir(), priors_dir())
    assert cache.load(key) is None, "a damaged entry must not be used"
    np.testing.assert_array_equal(headline(bc.load_model(plan_store=None)), truth)
    assert cache.load(key) is not None, "the rebuilt entry replaces the damaged one"


def test_an_edited_prior_is_never_answered_from_the_cache(
    cache: ModelCache, model_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    models, priors = model_copy
    before = headline(bc.load_model(models, priors, plan_store=None))
    key_before = cache_key(models, priors)
    path = priors / "evidence_grades.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["latent_scale"] = raw.get("latent_scale", 2.5) * 1.5
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert cache_key(models, priors) != key_before
    after = headline(bc.load_model(models, priors, plan_store=None))
    monkeypatch.setenv(MODEL_CACHE_ENV, "off")
    uncached = headline(bc.load_model(models, priors, plan_store=None))
    np.testing.assert_array_equal(after, uncached)
    assert not np.allclose(after, before), "the edit should move the headline answer"


def test_a_broken_theory_still_raises_with_a_cache(cache: ModelCache, model_copy: tuple[Path, Path]) -> None:
    models, priors = model_copy
    bc.load_model(models, priors, plan_store=None)
    (models / "nodes.yaml").write_text("nodes: not a list\n", encoding="utf-8")
    with pytest.raises(bc.TheoryError):
        derive_model_inputs(models, priors)


def test_a_cached_query_imports_none_of_the_heavy_libraries(cache: ModelCache) -> None:
    """`bayescollab query` must not pay for what it does not use (issue 13: lazy imports)."""
    import subprocess
    import sys

    bc.load_model(plan_store=None)  # the entry exists
    code = (
        "import sys, bayescollab.cli, bayescollab as bc\n"
        "m = bc.load_model(plan_store=None)\n"
        f"m.query({TARGET!r}, evidence=m.scenario({HEADLINE!r}))\n"
        "heavy = ('xarray', 'pandas', 'scipy', 'networkx', 'pgmpy', 'pymc')\n"
        "heavy += ('arviz', 'matplotlib', 'pytensor')\n"
        "print(sorted(h for h in heavy if h in sys.modules))\n"
    )
    env = {**__import__("os").environ, MODEL_CACHE_ENV: str(cache.folder)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# ---------------------------------------------------------------- the inputs shipped with the package
SHIPPED_STALE = "the shipped model inputs are stale: run `.venv/bin/python scripts/make_plans.py --model`"


def test_the_shipped_model_inputs_are_current() -> None:
    assert shipped_is_current(models_dir(), priors_dir()), SHIPPED_STALE


def test_the_shipped_inputs_equal_a_fresh_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_shipped(models_dir(), priors_dir())
    assert shipped is not None, SHIPPED_STALE
    monkeypatch.setenv(SHIPPED_MODEL_ENV, "off")
    monkeypatch.setenv(MODEL_CACHE_ENV, "off")
    fresh = derive_model_inputs()
    assert list(shipped.theory.nodes) == list(fresh.theory.nodes)
    assert shipped.theta_spec.names == fresh.theta_spec.names
    np.testing.assert_array_equal(shipped.theta_spec.prior_mean(), fresh.theta_spec.prior_mean())
    for node, table in fresh.prior_cpts.items():
        np.testing.assert_array_equal(shipped.prior_cpts[node], table)


def test_the_shipped_key_covers_the_derivation_code() -> None:
    sources = derivation_sources()
    for needed in (
        "elicit/cpt.py",
        "elicit/theta.py",
        "elicit/settings.py",
        "theory/load.py",
        "model_cache.py",
    ):
        assert needed in sources, f"{needed} decides what load_model derives; sources are {sources}"
    assert "engine/exact.py" not in sources, "inference code does not change the derived inputs"


def test_an_edited_theory_is_never_answered_from_the_shipped_inputs(model_copy: tuple[Path, Path]) -> None:
    models, priors = model_copy
    assert load_shipped(models, priors) is not None, "an unchanged copy has the same content"
    path = priors / "evidence_grades.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["latent_scale"] = raw.get("latent_scale", 2.5) * 1.5
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert load_shipped(models, priors) is None
    assert not shipped_is_current(models, priors)


@pytest.mark.parametrize("corrupt", ["truncated", "empty", "garbage", "flipped_byte", "wrong_magic"])
def test_a_damaged_shipped_file_is_ignored(corrupt: str, tmp_path: Path) -> None:
    path = tmp_path / "shipped_model.bin"
    path.write_bytes(CORRUPTIONS[corrupt](SHIPPED_MODEL_FILE.read_bytes()))
    assert load_shipped(models_dir(), priors_dir(), path) is None


def test_a_shipped_file_written_for_other_code_is_ignored(tmp_path: Path) -> None:
    """A header listing a source file this package does not have means the code changed."""
    entry = load_shipped(models_dir(), priors_dir())
    assert entry is not None, SHIPPED_STALE
    path = tmp_path / "shipped_model.bin"
    write_shipped(entry, models_dir(), priors_dir(), path)
    assert load_shipped(models_dir(), priors_dir(), path) is not None
    blob = path.read_bytes().replace(b'"sources": [', b'"sources": ["no_such_module.py", ', 1)
    path.write_bytes(blob)
    assert load_shipped(models_dir(), priors_dir(), path) is None


def test_an_entry_is_rooted_where_it_is_read_not_where_it_was_written(
    cache: ModelCache, model_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys hash contents, not places: a cache entry (or the shipped file) written for one
    checkout answers an identical one elsewhere, whose theory files must be read from there."""
    import shutil

    models, priors = model_copy
    assert derive_model_inputs(models, priors).theory.root == models  # derived, and cached
    moved = models.parent / "elsewhere"
    shutil.copytree(models, moved)
    shutil.rmtree(models)
    hit = derive_model_inputs(moved, priors)
    assert cache.load(cache_key(moved, priors)) is not None  # the answer came from the cache
    assert hit.theory.root == moved
    monkeypatch.delenv(SHIPPED_MODEL_ENV)
    shipped = load_shipped(models_dir(), priors_dir())
    assert shipped is not None and not shipped.theory.root.is_absolute()  # no writer's path
    assert bc.load_model().theory.root == models_dir()
