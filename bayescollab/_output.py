"""Safe outputs: check a destination before any work, never replace results silently, write atomically.

Every command that writes follows the same three steps, so a typo in ``-o`` costs a second, not
a sampling run, and an interrupted or failed write never leaves a mix of two runs behind:

1. **Check first.** :func:`check_output_file` / :func:`check_output_dir` run before the model is
   loaded. A folder where a file is expected (or a file where a folder is expected), a folder
   that cannot be written into, a suffix that does not match the format, or existing results
   without ``force`` exit with one message naming the path.
2. **Stage.** Each file is written to a temporary name in its own folder (``.NAME.tmp-PID-XXXX``),
   so the rename at the end never crosses a file system and the old file stays intact until then.
3. **Commit.** :class:`OutputSet` renames every staged file into place in one short step with
   Ctrl-C deferred. For a run folder (``learn -o DIR``) a marker file ``INCOMPLETE`` is written
   before the first rename and removed after ``manifest.json`` (sizes and SHA-256 of every file)
   is written last; :func:`check_run_complete` reads both, so ``load_model(posterior=...)``
   refuses a folder that is marked incomplete or whose files no longer match the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bayescollab.errors import OutputError

__all__ = [
    "INCOMPLETE_MARKER",
    "MANIFEST",
    "OutputSet",
    "atomic_path",
    "check_output_dir",
    "check_output_file",
    "check_run_complete",
    "noticing_sigint",
    "staging_folder",
]

#: written into a run folder before its files are renamed into place, removed once all are
INCOMPLETE_MARKER = "INCOMPLETE"
#: written last into a run folder: every file of the run with its size and SHA-256
MANIFEST = "manifest.json"
_FORCE_HINT = "pass --force to replace it"


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()  # pragma: no cover - the root always exists


def _check_can_create(folder: Path, option: str, target: Path) -> None:
    """The folder (or the nearest existing ancestor, where it will be created) takes new files."""
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise OutputError(
            f"{option} {target}: {base} is a file, so the folder {folder} cannot be created; "
            "expected a path inside a folder"
        )
    try:
        handle, probe = tempfile.mkstemp(dir=base, prefix=".bayescollab-probe-")
    except OSError as exc:
        raise OutputError(
            f"{option} {target}: cannot write into {base} ({exc.strerror}); expected a writable folder"
        ) from None
    os.close(handle)
    os.unlink(probe)


def check_output_file(
    path: Path | str,
    *,
    force: bool = False,
    option: str = "--output",
    suffixes: Sequence[str] | None = None,
    companions: Sequence[Path] = (),
) -> Path:
    """Refuse a file destination before any work is done; return it as a ``Path``.

    Parameters
    ----------
    path
        Where the file will be written.
    force
        Replace an existing file (the command's ``--force``).
    option
        The option that named the path, for the message.
    suffixes
        Accepted suffixes (lower case, with the dot), e.g. ``(".png", ".svg")``.
    companions
        Files written beside ``path`` by the same command (``simulate``'s truth and meta), checked
        the same way.

    Raises
    ------
    OutputError
        The path is a folder, has the wrong suffix, exists without ``force``, or its folder cannot
        be created or written into.
    """
    path = Path(path)
    example = "out" + (suffixes[0] if suffixes else path.suffix)
    for target in (path, *companions):
        if target.is_dir():
            raise OutputError(f"{option} {target} is a folder; expected a file name, e.g. {target / example}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        shown = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise OutputError(f"{option} {path} has {shown}; expected {' or '.join(suffixes)}")
    for target in (path, *companions):
        if target.exists() and not force:
            raise OutputError(f"{option} {target} already exists; {_FORCE_HINT} (nothing was written)")
    _check_can_create(path.parent, option, path)
    return path


def check_output_dir(
    path: Path | str, *, results: Sequence[str], force: bool = False, option: str = "--out"
) -> Path:
    """Refuse a run folder before any work: a file, not writable, or holding results without ``force``."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path} is a file; expected a folder for the results")
    for name in results if path.is_dir() else ():
        if (path / name).is_dir():
            raise OutputError(
                f"{option} {path}: {path / name} is a folder, but the run writes a file of that name; "
                "expected it moved away"
            )
    if path.is_dir() and not force:
        found = [n for n in (*results, MANIFEST, INCOMPLETE_MARKER) if (path / n).exists()]
        if found:
            state = "an incomplete run" if INCOMPLETE_MARKER in found else "results"
            raise OutputError(
                f"{option} {path} already holds {state} ({', '.join(found)}); {_FORCE_HINT} "
                "(nothing was written)"
            )
    _check_can_create(path, option, path)
    return path


def _staged_name(path: Path) -> Path:
    # keep the real suffix last: matplotlib and others choose the format by it
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(3)}{path.suffix}")


def _os_error(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; expected a writable file path")


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C during a short commit so the renames finish; re-raise it afterwards."""
    caught: list[Any] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    except ValueError:  # not the main thread: nothing to defer
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


@contextlib.contextmanager
def noticing_sigint() -> Iterator[list[bool]]:
    """Record a Ctrl-C that a library swallows (PyMC stops sampling and returns the draws so far).

    Yields a list that holds ``True`` once SIGINT arrived; the signal still reaches the previous
    handler, so the library stops as it would. The caller then refuses to save a cut-short run.
    """
    seen: list[bool] = []
    try:
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum: int, frame: Any) -> None:
            seen.append(True)
            if callable(previous):
                previous(signum, frame)
            else:
                raise KeyboardInterrupt

        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield seen
        return
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


class OutputSet:
    """Files written together: staged in their folders, renamed into place together at the end.

    Use as a context manager: ``stage(path)`` gives the temporary path to write; leaving the block
    normally commits, an exception removes every staged file and leaves the destinations as they
    were. Ctrl-C inside the block is held until its end: before the commit it abandons the staged
    files (then raises KeyboardInterrupt), during the commit it lets the renames finish first.
    With ``run_folder``, the commit also marks the folder incomplete while it renames, removes
    ``stale`` result files this run did not write, and writes the manifest last.
    """

    def __init__(self, *, run_folder: Path | None = None, stale: Sequence[str] = ()) -> None:
        self.run_folder = Path(run_folder) if run_folder is not None else None
        self.stale = list(stale)
        self._staged: dict[Path, Path] = {}

    def stage(self, path: Path | str) -> Path:
        """A temporary path beside ``path``; write the file there."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(path, exc) from None
        tmp = _staged_name(path)
        self._staged[path] = tmp
        return tmp

    def adopt(self, written: Path | str, path: Path | str) -> None:
        """Take a file some writer already put in a staging folder (see :func:`staging_folder`)."""
        self._staged[Path(path)] = Path(written)

    def __enter__(self) -> OutputSet:
        # Ctrl-C while staging is held, then abandons the staged files: a library interrupted
        # half-way through a write (h5netcdf, matplotlib) would otherwise print its own tracebacks
        self._caught: list[Any] = []
        try:
            self._previous = signal.signal(signal.SIGINT, lambda *args: self._caught.append(args))
            self._holding = True
        except ValueError:  # not the main thread
            self._holding = False
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and not self._caught:
                try:
                    self.commit()
                except BaseException:
                    self.abort()
                    raise
            else:
                self.abort()
        finally:
            if self._holding:
                signal.signal(signal.SIGINT, self._previous)
        if self._caught and exc_type is None:
            raise KeyboardInterrupt

    def abort(self) -> None:
        """Remove every staged file that is still there."""
        for tmp in self._staged.values():
            with contextlib.suppress(OSError):
                tmp.unlink()

    def commit(self) -> None:
        """Rename the staged files into place (Ctrl-C deferred until the folder is consistent)."""
        missing = [str(p) for p, tmp in self._staged.items() if not tmp.exists()]
        if missing:
            raise OutputError(f"nothing was written for {', '.join(missing)}")
        with _sigint_deferred():
            folder = self.run_folder
            if folder is not None:
                _write_text(folder / INCOMPLETE_MARKER, _marker_text())
                with contextlib.suppress(FileNotFoundError):
                    (folder / MANIFEST).unlink()
            for path, tmp in self._staged.items():
                try:
                    os.replace(tmp, path)
                except OSError as exc:
                    raise _os_error(path, exc) from None
            if folder is not None:
                for name in self.stale:
                    if folder / name not in self._staged:
                        with contextlib.suppress(FileNotFoundError):
                            (folder / name).unlink()
                _write_text(folder / MANIFEST, json.dumps(_manifest(self._staged), indent=2) + "\n")
                (folder / INCOMPLETE_MARKER).unlink()


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """One file written atomically: yield a temporary path beside ``path``, rename it at the end."""
    with OutputSet() as out:
        yield out.stage(path)


@contextlib.contextmanager
def staging_folder(folder: Path | str) -> Iterator[Path]:
    """A temporary folder inside ``folder`` for writers that name their own files; removed at the end.

    Pair it with :meth:`OutputSet.adopt` to rename the files it holds into ``folder``.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".bayescollab.tmp-{os.getpid()}-"))
    except OSError as exc:
        raise _os_error(folder, exc) from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_text(path: Path, text: str) -> None:
    tmp = _staged_name(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _os_error(path, exc) from None


def _marker_text() -> str:
    return (
        "This folder's files were being replaced when the run stopped; it may mix two runs.\n"
        "Rerun the command with --force to write one complete run here.\n"
    )


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _manifest(staged: dict[Path, Path]) -> dict[str, Any]:
    from bayescollab._version import __version__

    files = {p.name: {"bytes": p.stat().st_size, "sha256": _digest(p)} for p in staged}
    return {"complete": True, "bayescollab_version": __version__, "files": files}


def check_run_complete(path: Path | str) -> None:
    """Refuse a file from a run folder that is marked incomplete or no longer matches its manifest.

    A file outside a run folder (no manifest, no marker beside it) passes: the API may save an
    InferenceData anywhere.
    """
    path = Path(path)
    folder = path.parent
    if (folder / INCOMPLETE_MARKER).exists():
        raise OutputError(
            f"{folder} is marked incomplete ({INCOMPLETE_MARKER}): a run stopped while its files were "
            f"replaced, so {path.name} may not belong with the rest; rerun learn with --force"
        )
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        return
    try:
        files = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OutputError(
            f"{manifest_path} is unreadable ({exc}); expected the manifest learn writes"
        ) from None
    entry = files.get(path.name)
    if entry is None:
        raise OutputError(
            f"{path.name} is not one of the files of the run in {folder} ({', '.join(files)}); see {MANIFEST}"
        )
    if not path.is_file() or path.stat().st_size != entry["bytes"] or _digest(path) != entry["sha256"]:
        raise OutputError(
            f"{path} differs from the file recorded in {manifest_path} (size or SHA-256); the folder no "
            "longer holds one complete run; rerun learn with --force"
        )
