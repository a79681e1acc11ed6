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
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bayescollab._version import __version__

if TYPE_CHECKING:
    from bayescollab.elicit.settings import ElicitationSettings
    from bayescollab.elicit.theta import ThetaSpec
    from bayescollab.theory.core import Theory

__all__ = ["MODEL_CACHE_ENV", "CachedModel", "ModelCache", "cache_key", "default_model_cache"]

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
        tmp: str | None = None
        try:
            payload = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + key.encode() + b"\n" + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, self.entry(key))
            tmp = None
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def default_model_cache() -> ModelCache | None:
    """``$BAYESCOLLAB_MODEL_CACHE`` (``off`` disables it), else ``$XDG_CACHE_HOME/bayescollab/models``
    or ``~/.cache/bayescollab/models``."""
    setting = os.environ.get(MODEL_CACHE_ENV, "")
    if setting.lower() == "off":
        return None
    if setting:
        return ModelCache(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return ModelCache(Path(base) / "bayescollab" / "models")
