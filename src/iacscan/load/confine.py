"""Reads stay inside the repository: templates come from pull requests.

A template, a nested ``TemplateURL``, an ``AWS::Include`` location, a SAM ``DefinitionUri`` and
the files a folder scan finds are resolved (symlinks followed) and must land inside the
repository that holds the template: for a revision ``diff --base-ref`` extracted, the folder it
is in (load/gitrev.py; a file of that revision outside the paths extracted is read from git when
asked for); else its git top level; else the template's folder, the working directory when that
holds the template, and the folder named on the command line that the template was found in
(``iacscan infra/`` on a copy without ``.git``: ``infra/`` is the repository). Only regular
files are ever opened: a FIFO, a device (``/dev/zero``, ``/dev/stdin``) or a ``/proc`` file
would hang, never end or leak.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from iacscan.errors import InputParseError
from iacscan.load import gitrev
from iacscan.load.cfn import DEFAULT_LIMITS, unreadable

# Pseudo file systems: their "regular" files are the kernel's, not the repository's.
PSEUDO_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


@functools.lru_cache(maxsize=256)
def _git_top(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


# The folders named on the command line that the templates being loaded were found in.
_named: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "iacscan_named_folders", default=()
)


@contextlib.contextmanager
def named_folders(folders: Sequence[Path]) -> Iterator[None]:
    """While loading templates found in ``folders`` (named on the command line), files
    anywhere under them may be read when no git repository holds the template."""
    resolved = []
    for folder in folders:
        try:
            resolved.append(folder.resolve())
        except (OSError, RuntimeError, ValueError):
            continue
    token = _named.set((*_named.get(), *resolved))
    try:
        yield
    finally:
        _named.reset(token)


def roots_of(template: Path) -> tuple[Path, ...]:
    """Where files a template names may be: its repository, else its folder, the working
    directory and the folder named on the command line, when they hold the template."""
    try:
        folder = template.resolve().parent if not template.is_dir() else template.resolve()
    except (OSError, RuntimeError, ValueError):
        folder = Path(os.path.abspath(template)).parent
    revision = gitrev.tree_of(folder)
    if revision is not None:  # a revision extracted for a diff: the repository at that revision
        return (revision,)
    top = _git_top(folder)
    if top is not None:
        return (top,)
    roots = [folder]
    for holder in (Path.cwd().resolve(), *_named.get()):
        if folder.is_relative_to(holder) and holder not in roots:
            roots.append(holder)
    return tuple(roots)


def inside(path: Path, roots: tuple[Path, ...]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def confined(
    base: Path,
    relative: str,
    roots: tuple[Path, ...],
    *,
    what: str,
    file: str,
    line: int | None = None,
    max_bytes: int = DEFAULT_LIMITS.max_file_size,
) -> Path:
    """``base / relative`` resolved; an InputParseError naming it when it leaves ``roots``.
    ``max_bytes``: the most a file of an extracted revision may hold to be fetched (the run's
    file-size limit, so that the base side reads what the head side reads)."""
    try:
        target = (base / relative).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
        raise InputParseError(
            f"{what} {relative} cannot be resolved to a file",
            "check the path",
            file=file,
            line=line,
        ) from None
    if not inside(target, roots) or _pseudo(target):
        raise InputParseError(
            f"{what} {relative} is outside the repository ({', '.join(map(str, roots))})",
            "iacscan reads only files inside the repository that holds the template "
            "(a pull request must not make it read the machine's files); keep the file in "
            "the repository",
            file=file,
            line=line,
        )
    if not os.path.lexists(target):  # a revision's file outside the paths extracted
        gitrev.fetch(target, max_bytes)
    return target


def check_regular(path: Path, *, file: str) -> os.stat_result:
    """The file's stat; an InputParseError when it is not a regular file or is a kernel one."""
    try:
        info = path.stat()
    except OSError as err:
        raise unreadable(err, file) from None
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "not a regular file"
        )
        raise InputParseError(
            f"this is {kind}, not a template file: iacscan does not read it",
            "pass template files (regular files); special files would hang or never end",
            file=file,
        )
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        real = path
    if _pseudo(real):
        raise InputParseError(
            f"{real} is a kernel file, not a template: iacscan does not read it",
            "pass template files from the repository",
            file=file,
        )
    return info


def _pseudo(path: Path) -> bool:
    return any(path.is_relative_to(p) for p in PSEUDO_ROOTS)
