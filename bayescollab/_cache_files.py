"""Per-user cache folders and their writes, shared by the model cache and the plan store.

Both caches are conveniences, never a source of truth: a write that fails is skipped silently
(the next process derives or plans again), and a write is atomic (temporary file, then rename)
so a reader never sees half an entry. This differs from ``_output.atomic_path``, which is for
the user's own outputs: there a failure must be reported, not swallowed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_folder(env_var: str, name: str) -> Path | None:
    """``$env_var`` (``off`` disables the cache: None), else ``$XDG_CACHE_HOME/bayescollab/name``
    or ``~/.cache/bayescollab/name``."""
    setting = os.environ.get(env_var, "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bayescollab" / name


def write_quietly(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating its folder; on any OSError, write nothing."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        return
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
