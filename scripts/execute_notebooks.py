"""Execute the notebooks in place at full size, so a reader on the web sees their outputs.

    .venv/bin/python scripts/execute_notebooks.py                # every notebook in notebooks/
    .venv/bin/python scripts/execute_notebooks.py 01 03          # those whose names start so

The committed notebooks are the outputs of this script: a full run (``CI`` unset, so the
notebooks take their full draw counts), figures at a modest 72 dpi (``figure.dpi`` through a
temporary ``MATPLOTLIBRC``), no per-cell timing metadata (so re-running changes only what the
numbers change), and a ``bayescollab`` entry in the notebook metadata saying it was executed
in full and by which version. The test suite still re-executes every notebook reduced
(``CI=true``) and checks that the committed ones were written by this script at full size from
their current source (``source_sha256``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 3600
#: resolution of stored figures: readable on screen, small in git
FIGURE_DPI = 72
#: the key this script writes into each notebook's metadata
META_KEY = "bayescollab"


def source_digest(nb: nbformat.NotebookNode) -> str:
    """sha256 of every cell's source, in order: the stored outputs belong to exactly this text."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        digest.update(cell.cell_type.encode() + b"\0" + cell.source.encode() + b"\0")
    return digest.hexdigest()[:16]


def kernel_env(rc_dir: Path) -> dict[str, str]:
    """Our environment for a full run: no ``CI``, inline figures at ``FIGURE_DPI``."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "MPLBACKEND")}
    env["MATPLOTLIBRC"] = str(rc_dir)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def execute(path: Path) -> dict[str, float]:
    """Run one notebook top to bottom at full size and write it back with its outputs."""
    from bayescollab._version import __version__

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="bayescollab-mplrc-") as rc_dir:
        (Path(rc_dir) / "matplotlibrc").write_text(
            f"figure.dpi: {FIGURE_DPI}\nsavefig.dpi: {FIGURE_DPI}\n", encoding="utf-8"
        )
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=CELL_TIMEOUT,
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        start = time.perf_counter()
        client.execute(env=kernel_env(Path(rc_dir)))
        seconds = time.perf_counter() - start
    nb.metadata[META_KEY] = {
        "executed": "full",
        "figure_dpi": FIGURE_DPI,
        "source_sha256": source_digest(nb),
        "version": __version__,
    }
    nbformat.write(nb, path)
    return {"seconds": seconds, "bytes": path.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="notebook name prefixes (default: all)")
    args = parser.parse_args(argv)
    notebooks = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if args.prefixes:
        notebooks = [p for p in notebooks if p.name.startswith(tuple(args.prefixes))]
    if not notebooks:
        print(f"no notebook matches {args.prefixes}; expected names in {NOTEBOOK_DIR.name}/", file=sys.stderr)
        return 2
    for path in notebooks:
        print(f"executing {path.name} (full run) ...", flush=True)
        done = execute(path)
        print(f"  {path.name}: {done['seconds']:.0f} s, {done['bytes'] / 1024:.0f} KiB written", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
