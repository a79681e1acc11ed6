"""Cold start: wall time of the real console script in a new process, as a new user meets it.

Run: ``.venv/bin/python benchmarks/bench_cold.py [--repeat N] [--quick] [--json]``; the one
benchmark command calls :func:`run`. Each command runs in a new process with an empty plan
store (``BAYESCOLLAB_PLAN_CACHE`` a new empty folder each time), in five conditions:

- ``before``: the shipped plans, the shipped model inputs and the model cache all off (what
  every command paid before issue 13: YAML, validation, CPT derivation and every plan search);
- ``derive``: shipped plans on, shipped model inputs off, model cache empty (the first command
  on an edited theory: everything is derived from the files once);
- ``first``: everything shipped on, model cache empty (the very first command after installing);
- ``cold``: shipped plans on, model cache filled (any later command with an empty plan store);
- ``warm``: as ``cold``, but the plan store kept from the previous run of the same command;
- ``baseline`` (with ``--baseline DIR``): an older source tree, e.g. ``git archive`` of the commit
  before issue 13, run as ``python -m bayescollab`` with an empty plan store.

Timings are medians of ``repeat`` runs, wall and CPU (user + system of the child process, less
sensitive to other jobs); the 1-minute load average is printed beside each, since on a shared
machine a wall timing under load is an upper bound.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADLINE = "mandated_cross_sector_ics_poor_history"
TARGET = "collaborative_behaviour"
EXAMPLE = REPO / "models" / "examples" / "pilot_synthetic.csv"

COMMANDS: dict[str, list[str]] = {
    "query": ["query", TARGET, "-s", HEADLINE],
    "explain": ["explain", TARGET, "-s", HEADLINE],
    "assess": ["assess", str(EXAMPLE)],
    "sensitivity": ["sensitivity", TARGET, "-s", HEADLINE],
    "report": ["report", str(EXAMPLE), "-o", "{scratch}/report.html", "--force"],
}
#: conditions -> (shipped plans, shipped model inputs, model cache, plan store kept between runs)
CONDITIONS = {
    "before": (False, False, False, False),
    "derive": (True, False, False, False),
    "first": (True, True, False, False),
    "cold": (True, True, True, False),
    "warm": (True, True, True, True),
}


def _exe() -> str:
    exe = Path(sys.executable).with_name("bayescollab")
    return str(exe) if exe.exists() else "bayescollab"


def _load() -> float:
    return os.getloadavg()[0]


def time_command(
    args: list[str], condition: str, repeat: int, scratch: Path, baseline: Path | None = None
) -> dict:
    """Median wall seconds of ``bayescollab args`` under ``condition`` (see the module docstring).

    ``condition == "baseline"``: the package found in the source tree ``baseline`` (e.g. an
    export of the commit before issue 13), run as ``python -m bayescollab``, empty plan store.
    """
    shipped, shipped_model, model_cache, keep_plans = CONDITIONS.get(condition, (False, False, False, False))
    args = [a.format(scratch=scratch) for a in args]
    command = [_exe()]
    extra_env = {}
    if condition == "baseline":
        command = [sys.executable, "-m", "bayescollab"]
        extra_env = {"PYTHONPATH": str(baseline)}
    kept_store = scratch / f"plans-{condition}-{args[0]}"
    filled_cache = scratch / "model-cache"
    seconds, cpu, loads = [], [], []
    runs = repeat + (1 if keep_plans else 0)  # a warm condition first fills its store
    for i in range(runs):
        store = kept_store if keep_plans else Path(tempfile.mkdtemp(dir=scratch))
        cache = filled_cache if model_cache else Path(tempfile.mkdtemp(dir=scratch))
        env = {
            **os.environ,
            "BAYESCOLLAB_PLAN_CACHE": str(store),
            "BAYESCOLLAB_MODEL_CACHE": str(cache),
            "BAYESCOLLAB_SHIPPED_PLANS": "on" if shipped else "off",
            "BAYESCOLLAB_SHIPPED_MODEL": "on" if shipped_model else "off",
            "MPLBACKEND": "Agg",
            **extra_env,
        }
        load = _load()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([*command, *args], env=env, check=True, capture_output=True, cwd=REPO)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if keep_plans and i == 0:
            continue
        seconds.append(elapsed)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        loads.append(load)
    return {
        "seconds": statistics.median(seconds),
        "all_seconds": seconds,
        "cpu_seconds": statistics.median(cpu),
        "load_1min": statistics.mean(loads),
    }


def run(
    repeat: int = 3,
    commands: list[str] | None = None,
    conditions: list[str] | None = None,
    echo: bool = True,
    baseline: Path | None = None,
) -> dict:
    """Time each command under each condition; returns (and with ``echo`` prints) the table.

    ``baseline``: a source tree of an older bayescollab, timed first as condition ``baseline``.
    """
    commands = commands or list(COMMANDS)
    conditions = conditions or list(CONDITIONS)
    if baseline is not None:
        conditions = ["baseline", *conditions]
    results: dict = {"repeat": repeat, "cpu_count": os.cpu_count(), "commands": {}}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        # fill the model cache once, so "cold" and "warm" read it
        env = {
            **os.environ,
            "BAYESCOLLAB_MODEL_CACHE": str(scratch / "model-cache"),
            "BAYESCOLLAB_SHIPPED_MODEL": "off",  # so the cache entry is written
        }
        subprocess.run([_exe(), "scenarios"], env=env, check=True, capture_output=True, cwd=REPO)
        subprocess.run(
            [_exe(), *COMMANDS["query"]],
            env={**env, "BAYESCOLLAB_PLAN_CACHE": "off"},
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        for name in commands:
            row = {}
            for condition in conditions:
                row[condition] = time_command(COMMANDS[name], condition, repeat, scratch, baseline)
                if echo:
                    r = row[condition]
                    print(
                        f"cold-start {name:12s} {condition:7s} {r['seconds']:8.2f} s wall "
                        f"{r['cpu_seconds']:8.2f} s cpu (median of {len(r['all_seconds'])}; "
                        f"load {r['load_1min']:.1f})",
                        flush=True,
                    )
            results["commands"][name] = row
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run each, query and assess only")
    parser.add_argument("--conditions", nargs="*", choices=list(CONDITIONS), default=None)
    parser.add_argument("--commands", nargs="*", choices=list(COMMANDS), default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--baseline", type=Path, default=None, help="source tree of an older bayescollab to time first"
    )
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    commands = ["query", "assess"] if args.quick and not args.commands else args.commands
    results = run(repeat, commands, args.conditions, baseline=args.baseline)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"bench_cold: {time.perf_counter() - start:.0f} s in all", file=sys.stderr)
