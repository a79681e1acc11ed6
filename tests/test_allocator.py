"""The console script's memory settings: applied in its own process, refused when misspelt,
off on request, and never a change to an answer."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from bayescollab.allocator import ALLOCATOR_ENV, tune_allocator

PROBE = "from bayescollab.allocator import tune_allocator; import json; print(json.dumps(tune_allocator()))"


def _probe(env_value: str | None) -> dict[str, bool]:
    """``tune_allocator()`` in a new process (it changes the process it runs in)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    if env_value is not None:
        env[ALLOCATOR_ENV] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def test_default_leaves_the_process_alone() -> None:
    assert _probe("default") == {"mallopt": False, "numpy_hugepages_off": False}


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_tuned_applies_both_settings() -> None:
    assert _probe(None) == {"mallopt": True, "numpy_hugepages_off": True}
    assert _probe("tuned") == _probe(None)


def test_a_misspelt_setting_is_refused_with_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOCATOR_ENV, "fast")
    with pytest.raises(ValueError, match="'fast'; expected 'default' or 'tuned'"):
        tune_allocator()


def test_the_console_script_refuses_a_misspelt_setting(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOCATOR_ENV, "fast")
    out = run_cli("query", "collaborative_behaviour", "-s", "mandated_cross_sector_ics_poor_history")
    assert out.returncode == 2
    assert "BAYESCOLLAB_ALLOCATOR is 'fast'" in out.stderr


def test_the_answer_is_the_same_either_way(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("query", "collaborative_behaviour", "-s", "mandated_cross_sector_ics_poor_history", "--json")
    tuned = run_cli(*args)
    monkeypatch.setenv(ALLOCATOR_ENV, "default")
    plain = run_cli(*args)
    assert tuned.returncode == plain.returncode == 0, tuned.stderr + plain.stderr
    assert json.loads(tuned.stdout) == json.loads(plain.stdout)
