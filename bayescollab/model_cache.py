"""A disk cache of what :func:`bayescollab.load_model` derives: the validated theory, the
elicitation settings, θ's layout and the CPTs at the prior mean.

Why: reading and validating ``models/`` (14 YAML files, every cross-file check) and deriving
77 CPTs takes about a second, on every CLI command, for inputs that almost never change.

The cache is an optimisation, never a source of truth:

- **Keyed by content.** The key hashes every file under the models and priors folders (name
  and bytes), their resolved locations, the source of the ``bayescollab`` package itself and
  the numpy version. Editing a YAML file, a prior or the CPT code gives a new key, so a stale
  entry is never found.
- **Checked before use.** An entry is ``MAGIC``, the key, a SHA-256 of the payload and the
  payload. A wrong magic, key or digest, a payload that does not unpickle, or one whose
  contents do not fit the theory (names, CPT shapes) is ignored and rebuilt from the files.
- **Written atomically**, and a failed write is silent.

Only entries this package wrote are read (the digest is of our own pickle); the folder is the
user's cache folder (``$BAYESCOLLAB_MODEL_CACHE``, ``off`` disables it).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bayescollab._cache_files import cache_folder, write_quietly
from bayescollab._version import __version__

if TYPE_CHECKING:
    from bayescollab.elicit.settings import ElicitationSettings
    from bayescollab.elicit.theta import ThetaSpec
    from bayescollab.theory.core import Theory

__all__ = [
    "MODEL_CACHE_ENV",
    "SHIPPED_MODEL_ENV",
    "SHIPPED_MODEL_FILE",
    "CachedModel",
    "ModelCache",
    "cache_key",
    "default_model_cache",
    "derivation_sources",
    "load_shipped",
    "shipped_is_current",
    "shipped_key",
    "write_shipped",
]

#: environment variable: a folder for the model cache, or ``off``
MODEL_CACHE_ENV = "BAYESCOLLAB_MODEL_CACHE"
#: first bytes of every entry; bump the number when the payload's layout changes
MAGIC = b"bayescollab-model-cache-1\n"
_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CachedModel:
    """What one entry holds: everything :class:`~bayescollab.model.Model` derives from the files."""

    theory: Theory
    settings: ElicitationSettings
    theta_spec: ThetaSpec
    prior_cpts: dict[str, np.ndarray]
    #: every node's marginal with no evidence at the prior mean: only in the shipped file
    #: (``scripts/make_plans.py`` computes them once; ``assess`` asks for them every run)
    prior_marginals: dict[str, np.ndarray] | None = None



def rooted(entry: CachedModel, models: Path) -> CachedModel:
    """``entry`` with its theory rooted at ``models``, the folder it was just matched against.

    Keys are hashes of the folders' contents, not their places: an entry written in another
    checkout (the shipped file, or a cache shared by two clones) would otherwise point the
    theory's files (levers, claims, citations, instrument) at a folder that may not exist here.
    """
    import dataclasses

    if entry.theory.root == models:
        return entry
    return dataclasses.replace(entry, theory=dataclasses.replace(entry.theory, root=models))


def _hash_tree(digest: Any, folder: Path, label: str, suffixes: tuple[str, ...] | None = None) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        if suffixes is not None and path.suffix not in suffixes:
            continue
        digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def cache_key(models: Path, priors: Path) -> str:
    """A hash of the inputs of a loaded model: both folders, the package source, numpy."""
    digest = hashlib.sha256()
    digest.update(f"{MAGIC!r}|{__version__}|{np.__version__}|{models.resolve()}|{priors.resolve()}".encode())
    _hash_tree(digest, models, "models")
    _hash_tree(digest, priors, "priors")
    _hash_tree(digest, _PACKAGE_DIR, "bayescollab", suffixes=(".py",))
    return digest.hexdigest()[:40]


def _fits(entry: Any) -> bool:
    """Whether an unpickled payload is a model of the shape its own theory says."""
    if not isinstance(entry, CachedModel):
        return False
    nodes = entry.theory.nodes
    if set(entry.prior_cpts) != set(nodes):
        return False
    for name, table in entry.prior_cpts.items():
        if not isinstance(table, np.ndarray):
            return False
        shape = (len(nodes[name].states), *(len(nodes[p].states) for p in entry.theory.parents(name)))
        if table.shape != shape or not np.all(np.isfinite(table)):
            return False
    marginals = getattr(entry, "prior_marginals", None)
    if marginals is not None:
        if set(marginals) != set(nodes):
            return False
        for name, vector in marginals.items():
            if not isinstance(vector, np.ndarray) or vector.shape != (len(nodes[name].states),):
                return False
            if not np.all(np.isfinite(vector)) or abs(float(vector.sum()) - 1.0) > 1e-9:
                return False
    return True


class ModelCache:
    """Entries as files ``<key>.pkl`` in ``folder`` (see the module docstring for the rules)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"ModelCache({str(self.folder)!r})"

    def entry(self, key: str) -> Path:
        return self.folder / f"{key}.pkl"

    def load(self, key: str) -> CachedModel | None:
        """The entry for ``key`` if it is intact and fits its theory; else None."""
        try:
            blob = self.entry(key).read_bytes()
        except OSError:
            return None
        head = MAGIC + key.encode() + b"\n"
        if not blob.startswith(head) or len(blob) < len(head) + 32:
            return None
        stored, payload = blob[len(head) : len(head) + 32], blob[len(head) + 32 :]
        if hashlib.sha256(payload).digest() != stored:
            return None
        try:
            entry = pickle.loads(payload)  # our own bytes: the digest above matched
        except Exception:  # any unpickling failure means: rebuild from the files
            return None
        return entry if _fits(entry) else None

    def save(self, key: str, entry: CachedModel) -> None:
        """Write atomically (temporary file, then rename); any failure is silent."""
        try:
            payload = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return
        digest = hashlib.sha256(payload).digest()
        write_quietly(self.entry(key), MAGIC + key.encode() + b"\n" + digest + payload)


def default_model_cache() -> ModelCache | None:
    """``$BAYESCOLLAB_MODEL_CACHE`` (``off`` disables it), else ``$XDG_CACHE_HOME/bayescollab/models``
    or ``~/.cache/bayescollab/models``."""
    folder = cache_folder(MODEL_CACHE_ENV, "models")
    return ModelCache(folder) if folder is not None else None


# ------------------------------------------------------------------ shipped with the package
#: environment variable: ``off`` ignores the shipped model inputs (benchmarks of derivation)
SHIPPED_MODEL_ENV = "BAYESCOLLAB_SHIPPED_MODEL"
SHIPPED_MODEL_FILE = _PACKAGE_DIR / "shipped_model.bin"
#: first line of the shipped file; bump the number when its layout changes
SHIPPED_MAGIC = b"bayescollab-shipped-model-1\n"
#: the modules whose code decides what load_model derives (their import closure is recorded)
DERIVATION_ROOTS = (
    "bayescollab.model_cache",
    "bayescollab.theory.load",
    "bayescollab.elicit.settings",
    "bayescollab.elicit.theta",
    "bayescollab.elicit.cpt",
)


def _module_file(module: str) -> Path | None:
    """The source file of a ``bayescollab`` module (a package's ``__init__.py``), or None."""
    parts = module.split(".")
    if parts[0] != "bayescollab":
        return None
    base = _PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports_of(path: Path, module: str) -> set[str]:
    """Every ``bayescollab`` module ``path`` imports, at module level or inside a function."""
    import ast

    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith("bayescollab.") and _module_file(m) is not None}


def derivation_sources(roots: tuple[str, ...] = DERIVATION_ROOTS) -> list[str]:
    """The package files (relative posix paths) whose code :func:`derive` runs or unpickles: the
    static import closure of ``roots`` within ``bayescollab``, parent packages' ``__init__`` included
    (except the top-level one, which only re-exports).

    Recorded in the shipped file, so the run-time check hashes exactly these files and an edit
    to any of them (or a new import they gain, which edits them) means: derive again.
    """
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(2, len(parts)))
        path = _module_file(module)
        if path is not None:
            todo.extend(_imports_of(path, module) - seen)
    files = {_module_file(m) for m in seen if m != "bayescollab"}
    return sorted(p.relative_to(_PACKAGE_DIR).as_posix() for p in files if p is not None)


def shipped_key(models: Path, priors: Path, sources: list[str]) -> str:
    """A portable hash of a model's inputs: both folders' files (relative names and bytes), the
    listed package sources and numpy's major version (pickled arrays); no absolute paths."""
    digest = hashlib.sha256()
    digest.update(SHIPPED_MAGIC + np.__version__.split(".")[0].encode())
    _hash_tree(digest, models, "models")
    _hash_tree(digest, priors, "priors")
    for rel in sources:
        digest.update(f"bayescollab/{rel}\0".encode())
        digest.update(hashlib.sha256((_PACKAGE_DIR / rel).read_bytes()).digest())
    return digest.hexdigest()[:40]


def write_shipped(entry: CachedModel, models: Path, priors: Path, path: Path = SHIPPED_MODEL_FILE) -> str:
    """Write the shipped model inputs (``scripts/make_plans.py``): magic, a JSON header (key and
    the sources it covers), the payload's SHA-256, then the zlib-compressed pickle. Returns the key."""
    import json
    import zlib

    sources = derivation_sources()
    header = {"key": shipped_key(models, priors, sources), "sources": sources}
    # no path of the machine that wrote it: the loader roots the theory where it is read
    payload = zlib.compress(pickle.dumps(rooted(entry, Path("models")), protocol=4), 9)
    blob = SHIPPED_MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
    path.write_bytes(blob + hashlib.sha256(payload).digest() + payload)
    return header["key"]


def _read_shipped(path: Path) -> tuple[dict[str, Any], bytes] | None:
    """The header and compressed payload of a shipped file, or None if it is absent or damaged."""
    import json

    try:
        blob = path.read_bytes()
        if not blob.startswith(SHIPPED_MAGIC):
            return None
        line_end = blob.index(b"\n", len(SHIPPED_MAGIC))
        header = json.loads(blob[len(SHIPPED_MAGIC) : line_end])
        stored, payload = blob[line_end + 1 : line_end + 33], blob[line_end + 33 :]
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict) or not isinstance(header.get("sources"), list):
        return None
    if hashlib.sha256(payload).digest() != stored:
        return None
    return header, payload


def shipped_is_current(models: Path, priors: Path, path: Path = SHIPPED_MODEL_FILE) -> bool:
    """Whether the shipped file answers for exactly these folders and this package's code."""
    read = _read_shipped(path)
    if read is None:
        return False
    header, _ = read
    try:
        return header.get("key") == shipped_key(models, priors, [str(s) for s in header["sources"]])
    except OSError:  # a listed source file is gone: the code changed
        return False


def load_shipped(models: Path, priors: Path, path: Path = SHIPPED_MODEL_FILE) -> CachedModel | None:
    """The shipped model inputs if they were derived from exactly these folders and this code;
    else None (then the caller derives). ``$BAYESCOLLAB_SHIPPED_MODEL=off`` disables it."""
    import zlib

    if os.environ.get(SHIPPED_MODEL_ENV, "").lower() == "off":
        return None
    read = _read_shipped(path)
    if read is None:
        return None
    header, payload = read
    try:
        if header.get("key") != shipped_key(models, priors, [str(s) for s in header["sources"]]):
            return None
        entry = pickle.loads(zlib.decompress(payload))  # our own bytes: the digest matched
    except Exception:  # a missing source, a bad payload: derive from the files instead
        return None
    return entry if _fits(entry) else None
