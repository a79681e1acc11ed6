"""Nothing lost: every writer checks its destination first, refuses to replace results without
--force, and leaves one complete run (or a folder marked incomplete) even when interrupted.

The learn tests share one tiny run (one context item, one chain, 5 draws: ~15 s); the refusals
happen before the model is loaded, so each of them costs only the start-up of the console script.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import bayescollab as bc
from bayescollab._output import INCOMPLETE_MARKER, MANIFEST
from bayescollab.errors import OutputError

RUN_FILES = ("posterior.nc", "summary.csv", "diagnostics.json", "ppc.csv", "ppc.png", MANIFEST)
SURVEY = "respondent_id,collaboration_id,mandated_1\nr1,c1,1\nr2,c1,2\nr1,c2,1\n"
TINY = ("--draws", "5", "--tune", "5", "--chains", "1", "--seed", "1", "--json")


def _unwritable_folder() -> Path:
    """A folder this process cannot create files in, even as root (sysfs refuses new files)."""
    folder = Path("/sys/kernel")
    try:
        folder.joinpath(".probe").touch()
    except OSError:
        return folder
    pytest.skip("no unwritable folder on this machine")  # pragma: no cover


def _digests(folder: Path) -> dict[str, str]:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _staged_leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*tmp*")]


@pytest.fixture(scope="module")
def learn_run(tmp_path_factory, run_cli) -> tuple[Path, Path]:
    """(survey csv, folder of one complete learn run) written through the console script."""
    base = tmp_path_factory.mktemp("learn_run")
    survey = base / "survey.csv"
    survey.write_text(SURVEY, encoding="utf-8")
    done = run_cli("learn", str(survey), "-o", str(base / "run"), *TINY)
    assert done.returncode == 0, done.stderr
    return survey, base / "run"


def _copy_run(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    return copy


def test_learn_writes_one_complete_run_that_reloads(learn_run) -> None:
    _, run = learn_run
    assert sorted(p.name for p in run.iterdir()) == sorted(RUN_FILES)
    assert not _staged_leftovers(run)
    loaded = bc.load_model(posterior=run / "posterior.nc")
    assert loaded.theta_draws.shape[0] == 5


def test_learn_refuses_existing_results_before_sampling(run_cli, learn_run) -> None:
    survey, run = learn_run
    before = _digests(run)
    started = time.perf_counter()
    done = run_cli("learn", str(survey), "-o", str(run), *TINY)
    assert done.returncode == 2 and "already holds results" in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert _digests(run) == before
    assert time.perf_counter() - started < 30  # refused at start-up, not after sampling


@pytest.mark.parametrize("where", ["file", "unwritable", "result_is_folder"])
def test_learn_refuses_a_bad_folder_before_sampling(run_cli, learn_run, tmp_path: Path, where: str) -> None:
    survey, _ = learn_run
    if where == "unwritable":
        target = _unwritable_folder() / "out"
    elif where == "result_is_folder":  # one file of the run would fail to land: refused up front
        target = tmp_path / "run"
        (target / "ppc.png").mkdir(parents=True)
    else:
        target = survey
    done = run_cli("learn", str(survey), "-o", str(target), *TINY, "--force")
    needle = {
        "file": "is a file; expected a folder",
        "unwritable": "cannot write into",
        "result_is_folder": "ppc.png is a folder, but the run writes a file",
    }[where]
    assert done.returncode == 2 and needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert survey.read_text(encoding="utf-8") == SURVEY


def test_sigint_while_learn_writes_keeps_the_old_run(learn_run, tmp_path: Path) -> None:
    """Ctrl-C as the first staged file appears: the folder still holds one complete run."""
    survey, run = learn_run
    folder = _copy_run(run, tmp_path)
    before = _digests(folder)
    exe = Path(sys.executable).with_name("bayescollab")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    args = [str(exe), "learn", str(survey), "-o", str(folder), *TINY, "--force"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    caught = False
    while proc.poll() is None and time.monotonic() < deadline:
        if any(".tmp-" in name for name in os.listdir(folder)):
            proc.send_signal(signal.SIGINT)
            caught = True
            break
        time.sleep(0.001)
    _, stderr = proc.communicate(timeout=240)
    assert caught, f"learn finished before writing was seen: {stderr[-500:]}"
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    assert not _staged_leftovers(folder)
    after = _digests(folder)
    if after != before:  # the signal landed in the commit, which finishes first: the new run is whole
        assert INCOMPLETE_MARKER not in after and MANIFEST in after
    bc.load_model(posterior=folder / "posterior.nc")  # complete, so it loads


def test_sigint_while_learn_samples_writes_nothing(learn_run, tmp_path: Path) -> None:
    """PyMC answers Ctrl-C by returning the draws so far; learn must not save them as a run."""
    survey, run = learn_run
    folder = _copy_run(run, tmp_path)
    before = _digests(folder)
    exe = Path(sys.executable).with_name("bayescollab")
    args = [str(exe), "learn", str(survey), "-o", str(folder), "--draws", "100000", "--tune", "5",
            "--chains", "1", "--seed", "1", "--json", "--force"]  # fmt: skip
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:  # PyMC logs "NUTS: [...]" just before it starts sampling
        seen.append(line)
        if line.startswith("NUTS:"):
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=240)
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr[-2000:]
    assert "sampling was interrupted after" in stderr and "nothing was written" in stderr
    assert _digests(folder) == before and not _staged_leftovers(folder)


def test_failure_between_files_marks_the_folder_incomplete(learn_run, tmp_path: Path) -> None:
    """A rename that fails half-way leaves INCOMPLETE; load_model and learn say so."""
    survey, run = learn_run
    folder = _copy_run(run, tmp_path)
    # the real CLI, with the sampler replaced by the saved run and the third rename failing
    script = textwrap.dedent(
        f"""
        import os, sys
        import arviz as az, pandas as pd
        import bayescollab._output as out
        import bayescollab.survey.learn as learn_mod

        def fake_learn(model, survey, **kw):
            idata = az.from_netcdf({str(run / "posterior.nc")!r})
            summary = pd.read_csv({str(run / "summary.csv")!r}, index_col=0)
            return learn_mod.LearnResult(idata, summary, 0, [], 0.0)

        real_replace, calls = os.replace, []
        def failing_replace(src, dst):
            calls.append(dst)
            if len(calls) == 3:
                raise OSError(28, "No space left on device", str(dst))
            real_replace(src, dst)

        learn_mod.learn = fake_learn
        out.os.replace = failing_replace
        sys.argv = ["bayescollab", "learn", {str(survey)!r}, "-o", {str(folder)!r}, "--draws", "5",
                    "--chains", "1", "--force"]
        from bayescollab.cli import main
        main()
        """
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=240
    )
    assert done.returncode == 2 and "No space left on device" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    names = {p.name for p in folder.iterdir()}
    assert INCOMPLETE_MARKER in names and MANIFEST not in names
    assert not _staged_leftovers(folder)
    with pytest.raises(OutputError, match="marked incomplete"):
        bc.load_model(posterior=folder / "posterior.nc")
    again = subprocess.run(
        [str(Path(sys.executable).with_name("bayescollab")), "learn", str(survey), "-o", str(folder)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert again.returncode == 2 and "already holds an incomplete run" in again.stderr


def test_load_model_refuses_a_posterior_changed_since_the_run(learn_run, tmp_path: Path) -> None:
    _, run = learn_run
    folder = _copy_run(run, tmp_path)
    with (folder / "posterior.nc").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(OutputError, match="differs from the file recorded"):
        bc.load_model(posterior=folder / "posterior.nc")
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(run / "posterior.nc", alone / "posterior.nc")  # outside a run folder: accepted
    assert bc.load_model(posterior=alone / "posterior.nc").theta_draws.shape[0] == 5
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "posterior.nc").write_bytes(b"CDF\x01" + b"\0" * 560)  # the 566-byte stub of the bug report
    with pytest.raises(ValueError, match=r"cannot read .* as InferenceData"):
        bc.load_model(posterior=stub / "posterior.nc")


# ----------------------------------------------------------------------------- single-file writers

SIM = ("simulate", "--collaborations", "1", "--respondents", "2", "--seed", "3")


def test_simulate_never_replaces_a_survey_or_its_companions(run_cli, tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("my real survey\n", encoding="utf-8")
    done = run_cli(*SIM, "-o", str(survey))
    assert done.returncode == 2 and "already exists; pass --force" in done.stderr
    assert survey.read_text(encoding="utf-8") == "my real survey\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["survey.csv"]
    lone_truth = tmp_path / "b.truth.csv"
    lone_truth.write_text("kept\n", encoding="utf-8")
    done = run_cli(*SIM, "-o", str(tmp_path / "b.csv"))
    assert done.returncode == 2 and "b.truth.csv already exists" in done.stderr
    assert not (tmp_path / "b.csv").exists() and lone_truth.read_text(encoding="utf-8") == "kept\n"
    done = run_cli(*SIM, "-o", str(survey), "--force")
    assert done.returncode == 0, done.stderr
    assert survey.read_text(encoding="utf-8").startswith("respondent_id,")
    assert (tmp_path / "survey.truth.csv").is_file() and (tmp_path / "survey.meta.json").is_file()
    assert not _staged_leftovers(tmp_path)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["draw", "-o", "{dir}"], "is a folder; expected a file name"),
        (["draw", "-o", "{unwritable}/web.png"], "cannot write into"),
        (["draw", "-o", "{file}/web.png"], "is a file, so the folder"),
        (["export", "--format", "bif", "-o", "."], "is a folder; expected a file name"),
        (["export", "--format", "xmlbif", "-o", "m.bif"], "expected .xml or .xmlbif or .bifxml"),
        (["export", "--format", "bif", "-o", "m"], "has no suffix; expected .bif"),
        ([*SIM, "-o", "{unwritable}/s.csv"], "cannot write"),
        ([*SIM, "-o", "{dir}"], "is a folder"),
        (["sensitivity", "trust", "--plot", "{existing}"], "already exists; pass --force"),
        (["demo", "-o", "{existing}"], "already exists; pass --force"),
    ],
)
def test_bad_output_paths_exit_2_before_work(run_cli, tmp_path: Path, args: list[str], needle: str) -> None:
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    existing = tmp_path / "old.png"
    existing.write_bytes(b"old picture")
    unwritable = _unwritable_folder() if any("{unwritable}" in a for a in args) else "/nonexistent"
    fill = {
        "dir": str(tmp_path / ("folder.csv" if args[0] == "simulate" else "folder.png")),
        "unwritable": str(unwritable),
        "file": str(tmp_path / "a_file"),
        "existing": str(existing),
    }
    done = run_cli(*[a.format(**fill) for a in args], cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert needle in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert existing.read_bytes() == b"old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "folder.csv", "folder.png", "old.png"]


def test_draw_and_export_replace_only_with_force(run_cli, tmp_path: Path) -> None:
    target = tmp_path / "m.bif"
    target.write_text("old", encoding="utf-8")
    assert run_cli("export", "--format", "bif", "-o", str(target)).returncode == 2
    assert target.read_text(encoding="utf-8") == "old"
    done = run_cli("export", "--format", "bif", "-o", str(target), "--force")
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8").startswith("network")
    assert not _staged_leftovers(tmp_path)
