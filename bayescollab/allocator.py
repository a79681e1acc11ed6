"""Memory settings for a process that runs big contractions: large arrays reuse freed memory.

Why: an ``assess`` touches about 2 GB of fresh memory in one process. Its posterior pass keeps
every intermediate, and each of its 30 bottleneck queries writes intermediates of up to 90 MB.
glibc hands every block over 32 MB to a new ``mmap`` and unmaps it on free, so each array pays
its page faults again. numpy also asks for transparent huge pages on large arrays, and with
the kernel's common ``defrag=madvise`` setting a fault may wait for memory compaction. On this
project's machine a warm ``assess`` of the shipped example measured (five or six runs each,
docs/performance.md "The command's memory"):

- default: 1.74-2.87 s, of it 0.3-1.6 s system time;
- huge pages off: 1.99-2.10 s;
- huge pages off and blocks kept in the heap: 1.75-1.80 s, with 131,000 page faults instead of
  353,000-513,000, and a peak RSS of 550 MB instead of 610 MB.

1,000 headline θ draws in one Python process: 8.5 s -> 6.3 s (float64), 6.4 s -> 4.8 s
(float32).

So the console script, which owns its process, keeps large blocks in one heap arena and
reuses them (``mallopt``: mmap threshold and trim threshold 1 GiB, one arena) and turns
numpy's huge-page advice off. The library never changes them behind a Python caller's back:
a notebook or script that wants the same calls :func:`tune_allocator` once, itself (the
process then keeps up to 1 GiB of freed memory for reuse instead of returning it).
``BAYESCOLLAB_ALLOCATOR=default`` makes the call a no-op. On a C library without ``mallopt``
(musl, macOS, Windows) only the numpy setting applies.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["ALLOCATOR_ENV", "tune_allocator"]

ALLOCATOR_ENV = "BAYESCOLLAB_ALLOCATOR"
#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_KEEP_BYTES = 1 << 30


def tune_allocator() -> dict[str, bool]:
    """Apply the settings of the module docstring to this process, unless
    ``$BAYESCOLLAB_ALLOCATOR`` is ``default``. Returns what was applied, by name."""
    applied = {"mallopt": False, "numpy_hugepages_off": False}
    setting = os.environ.get(ALLOCATOR_ENV, "").strip().lower()
    if setting == "default":
        return applied
    if setting not in ("", "tuned"):
        raise ValueError(f"{ALLOCATOR_ENV} is {setting!r}; expected 'default' or 'tuned' (or unset)")
    applied["mallopt"] = _mallopt()
    try:
        import numpy as np

        np._core.multiarray._set_madvise_hugepage(False)  # what NUMPY_MADVISE_HUGEPAGE=0 sets
        applied["numpy_hugepages_off"] = True
    except AttributeError:  # another numpy layout: leave it
        pass
    return applied


def _mallopt() -> bool:
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES) == 1 and ok
    return mallopt(_M_ARENA_MAX, 1) == 1 and ok
