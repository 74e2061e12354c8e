"""A cache of synthesized cloud assemblies, keyed by what the app's synthesis depends on.

``<root>/<sha256>/`` holds one assembly (plus ``iacscan-cache.json``). The key hashes the app's
source files (paths and contents; build output, virtualenvs, ``node_modules``, VCS folders and
cdk.json ``watch.exclude`` globs skipped, but never cdk.json, the context and the lock files),
the installed aws-cdk-lib (``installed_libraries``), the app command and the program it
resolves to, the context given to the app and whether AWS credentials were passed through. Entries are written
atomically: synthesized into a work folder under the root, then renamed into place.

An app often reads code outside its folder: a construct library of the same repository
(``import { Shared } from "../../shared/constructs"``, ``sys.path.append("..")``) or an npm
workspace package linked into ``node_modules``. ``outside_sources`` finds what the app's code
names that way, and the key hashes those files too, so a change there synthesizes again. What
the code reaches without naming it as a relative path is not seen; the cache-hit note says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1
META_FILE = "iacscan-cache.json"
SKIP_DIRS = frozenset(
    {
        "cdk.out",
        ".venv",
        "venv",
        "node_modules",
        ".git",
        "__pycache__",
        ".hg",
        ".svn",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".cdk.staging",
        ".idea",
    }
)
# Hashed even when watch.exclude lists them (CDK's own app templates exclude "package*.json",
# "yarn.lock" and "requirements*.txt"): a dependency change must synthesize again.
ALWAYS_HASHED = frozenset(
    {
        "cdk.json",
        "cdk.context.json",
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "requirements.txt",
        "Pipfile.lock",
        "poetry.lock",
        "uv.lock",
    }
)
MAX_FILES = 20_000
MAX_BYTES = 256 * 1024 * 1024
KEEP_PER_APP = 3  # entries kept for one app folder; older ones are removed


# Files whose text is searched for relative paths leaving the app folder.
CODE_SUFFIXES = (".py", ".ts", ".tsx", ".js", ".mjs", ".cjs", ".java", ".cs", ".go", ".kt")
MAX_CODE_BYTES = 2 * 1024 * 1024  # one file; bigger ones are generated, not written
# A string literal that is a relative path going up: "../shared", '..', `../../lib/x`.
_UPWARD = re.compile(r"""(["'`])(\.\.(?:[/\\][^"'`\s]*)?)\1""")


@dataclass(frozen=True, slots=True)
class SourceDigest:
    key: str | None  # None when the app folder is too big to hash: no caching
    files: int
    reason: str = ""  # why there is no key
    outside: tuple[str, ...] = ()  # folders and files outside the app that were hashed too


@dataclass(frozen=True, slots=True)
class CacheEntry:
    path: Path
    meta: Mapping[str, Any]


def default_root() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("iacscan")) / "cdk"


def source_files(
    app_dir: Path, *, excludes: Sequence[str] = (), skip_dirs: Sequence[str] = ()
) -> Iterator[tuple[str, Path, os.stat_result]]:
    """The app's source files, sorted, as (relative posix path, path, lstat)."""
    patterns = [_glob_regex(p) for p in excludes if p.strip()]
    skipped = SKIP_DIRS | set(skip_dirs)

    def excluded(rel: str) -> bool:
        return rel not in ALWAYS_HASHED and any(p.fullmatch(rel) for p in patterns)

    for dirpath, dirnames, filenames in os.walk(app_dir):  # never follows directory symlinks
        base = Path(dirpath)
        rel_dir = base.relative_to(app_dir).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if d not in skipped and not excluded(prefix + d))
        for name in sorted(filenames):
            rel = prefix + name
            if excluded(rel):
                continue
            path = base / name
            try:
                info = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                yield rel, path, info


def source_digest(
    app_dir: Path,
    *,
    identity: Mapping[str, Any],
    excludes: Sequence[str] = (),
    skip_dirs: Sequence[str] = (),
) -> SourceDigest:
    """Hash the app's files, the files outside it that its code names (``outside_sources``)
    and ``identity`` (command, program, context, flags) into a key."""
    digest = hashlib.sha256()
    digest.update(f"iacscan-cdk-cache/{CACHE_FORMAT}\0".encode())
    digest.update(json.dumps(identity, sort_keys=True, default=str).encode())
    files = total = 0
    app_files = list(
        itertools.islice(
            source_files(app_dir, excludes=excludes, skip_dirs=skip_dirs), MAX_FILES + 1
        )
    )
    outside = outside_sources(app_dir, app_files) if len(app_files) <= MAX_FILES else []
    parts: list[tuple[str, Iterable[tuple[str, Path, os.stat_result]]]] = [("", app_files)]
    for place in outside:
        parts.append((f"{_shown(place, app_dir)}/", _files_of(place, app_dir)))
    for prefix, found in parts:
        for rel, path, info in found:
            files += 1
            total += info.st_size
            if files > MAX_FILES or total > MAX_BYTES:
                where = "the app folder" if not prefix else "the app folder and what its code names"
                return SourceDigest(
                    None,
                    files,
                    f"{where} holds over {MAX_FILES:,} files or "
                    f"{MAX_BYTES // 2**20} MB outside build and dependency folders",
                )
            name = prefix + rel
            digest.update(b"\0F" + name.encode("utf-8", "surrogateescape") + b"\0")
            if stat.S_ISLNK(info.st_mode):
                with contextlib.suppress(OSError):
                    digest.update(b"link:" + os.fsencode(os.readlink(path)))
                continue
            try:
                digest.update(_file_hash(path))
            except OSError:
                digest.update(b"unreadable")
    return SourceDigest(
        digest.hexdigest(), files, outside=tuple(_shown(p, app_dir) for p in outside)
    )


def outside_sources(
    app_dir: Path, app_files: Iterable[tuple[str, Path, os.stat_result]]
) -> list[Path]:
    """Folders and files outside ``app_dir`` that the app's code names, so may read at synthesis:

    - npm, yarn or pnpm workspace packages: links in ``node_modules`` (``node_modules/shared``,
      ``node_modules/@org/shared``) to a folder outside the app;
    - relative paths going up in the app's code (``"../../shared/constructs"``,
      ``sys.path.append("..")``, ``path.join(__dirname, "../lambda")``), taken from the file's
      folder and from the app folder (where the app runs). A path that does not exist as
      written (an import without its extension) stands for the folder it is in.

    A folder that holds the app stands for its files outside the app folder; it is taken only
    from the file's own folder (``path.join(__dirname, "..")`` in ``lib/`` is the app itself,
    not the folder above it), and only inside a git repository. Nothing outside the app's git
    repository (or, without one, the folder that holds the app) is taken: a link to ``/`` or
    ``/proc`` hashes nothing there."""
    base = app_dir.resolve()
    repository = next((p for p in (base, *base.parents) if (p / ".git").exists()), None)
    in_repository = repository is not None
    top = repository if repository is not None else base.parent
    found: set[Path] = set()

    def consider(target: Path, holder_ok: bool = True) -> None:
        try:
            target = target.resolve()
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte in the literal
            return
        if not target.exists():
            target = target.parent
            if not target.is_dir() or target in base.parents:
                return  # an import's folder, never the folders that hold the app
        if target == base or base in target.parents:
            return  # inside the app: already hashed
        if target in base.parents and not (holder_ok and in_repository):
            # a folder that holds the app: only inside its repository, whose files are the
            # app's neighbours (without one, ".." may be a home or downloads folder)
            return
        if target != top and top not in target.parents:
            return  # outside the repository
        found.add(target)

    for package in _workspace_links(app_dir / "node_modules"):
        consider(package)
    for _, path, info in app_files:
        if path.suffix not in CODE_SUFFIXES or info.st_size > MAX_CODE_BYTES:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue
        try:
            text = path.read_text("utf-8", errors="replace")
        except OSError:
            continue
        if ".." not in text:
            continue
        for literal in {m.group(2) for m in _UPWARD.finditer(text)}:
            if len(literal) > 1024 or any(ord(c) < 32 for c in literal):
                continue  # not a path anyone writes
            literal = literal.replace("\\", "/")
            consider(path.parent / literal)
            consider(app_dir / literal, holder_ok=False)
    # a folder inside another found one is already hashed with it
    return sorted(p for p in found if not any(q in p.parents for q in found))


def _workspace_links(modules: Path) -> list[Path]:
    """Targets of the package links in a ``node_modules`` folder (workspace packages)."""
    links: list[Path] = []
    for child in _children(modules):
        if child.name.startswith("@") and not child.is_symlink():
            candidates = _children(child)
        else:
            candidates = [child]
        for package in candidates:
            if package.is_symlink():
                with contextlib.suppress(OSError):
                    links.append(package.parent / os.readlink(package))
    return sorted(links)


def _files_of(place: Path, app_dir: Path) -> Iterator[tuple[str, Path, os.stat_result]]:
    """A file, or a folder's source files without the app folder inside it."""
    if place.is_file():
        with contextlib.suppress(OSError):
            yield place.name, place, place.lstat()
        return
    inner = app_dir.resolve()
    for rel, path, info in source_files(place):
        if inner == path.parent or inner in path.parents:
            continue
        yield rel, path, info


def _shown(place: Path, app_dir: Path) -> str:
    """``place`` relative to the app folder (``../shared``), as the note shows it."""
    return Path(os.path.relpath(place, app_dir.resolve())).as_posix()


def installed_libraries(app_dir: Path, program: str) -> list[str]:
    """What the synthesis depends on outside the app's files: the installed aws-cdk-lib (and
    constructs, jsii, alpha modules), so that upgrading one synthesizes again.

    - Node apps: the version in ``node_modules/aws-cdk-lib/package.json`` and a hash of npm's
      ``node_modules/.package-lock.json`` (the installed tree; the app's own lock file is
      hashed with its sources);
    - Python apps: the ``*.dist-info`` folder names (name and version) of aws-cdk-lib,
      constructs, jsii and ``aws_cdk.*`` packages in the site-packages of the interpreter that
      runs the app and of the app's ``.venv``/``venv``.

    Nothing is run; a file that cannot be read is left out.
    """
    found: list[str] = []
    modules = app_dir / "node_modules"
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((modules / "aws-cdk-lib" / "package.json").read_text("utf-8"))
        found.append(f"npm:aws-cdk-lib@{data.get('version')}")
    with contextlib.suppress(OSError):
        found.append("npm-tree:" + _file_hash(modules / ".package-lock.json").hex())
    # The interpreter's own prefix: a virtualenv's bin/python3 is a symlink, not resolved.
    prefixes = {Path(os.path.abspath(program)).parent.parent} if os.sep in program else set()
    prefixes |= {app_dir / ".venv", app_dir / "venv"}
    for prefix in sorted(prefixes):
        for pattern in _DIST_INFO:
            with contextlib.suppress(OSError):
                found += [p.name for p in prefix.glob(pattern)]
    return sorted(set(found))


_DIST_INFO = tuple(
    f"{lib}/*-packages/{name}-*.dist-info"
    for lib in ("lib/python3*", "lib64/python3*", "Lib")
    for name in ("aws_cdk*", "constructs", "jsii")
)


def lookup(root: Path, key: str) -> CacheEntry | None:
    entry = root / key
    meta = _read_meta(entry)
    if meta is None or meta.get("key") != key or not (entry / "manifest.json").is_file():
        return None
    return CacheEntry(entry, meta)


def discard(entry: Path) -> None:
    shutil.rmtree(entry, ignore_errors=True)


def work_dir(root: Path) -> tuple[Path, bool]:
    """A fresh folder to synthesize into: under ``root`` when writable (same file system, so
    the result can be renamed into place), else in the system temp folder. Second value: True
    when under ``root``."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".work-", dir=root)), True
    except OSError:
        return Path(tempfile.mkdtemp(prefix="iacscan-cdk-")), False


def store(root: Path, key: str, assembly: Path, meta: Mapping[str, Any]) -> Path:
    """Move a synthesized assembly into the cache as entry ``key``; return where it now is.

    An existing entry is replaced (``use_cache=False`` refreshes it). When another process
    stored the same key meanwhile, its entry is kept and returned; when the move fails for
    another reason, ``assembly`` is returned where it is.
    """
    (assembly / META_FILE).write_text(
        json.dumps({**meta, "format": CACHE_FORMAT, "key": key}, indent=1, sort_keys=True),
        encoding="utf-8",
    )
    final = root / key
    old: Path | None = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=".old-", dir=root))
        try:
            os.replace(final, old / "entry")
        except OSError:
            shutil.rmtree(old, ignore_errors=True)
            return assembly
    try:
        os.rename(assembly, final)
    except OSError:  # another process stored this key meanwhile: use its entry
        return final if lookup(root, key) is not None else assembly
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return final


def prune(root: Path, app_dir: str, keep: int = KEEP_PER_APP) -> None:
    """Keep only the ``keep`` newest entries synthesized from ``app_dir``."""
    entries = [
        (_created(meta), child)
        for child in _children(root)
        if (meta := _read_meta(child)) is not None and meta.get("app_dir") == app_dir
    ]
    for _, child in sorted(entries, reverse=True)[keep:]:
        discard(child)


def _children(root: Path) -> list[Path]:
    try:
        return list(root.iterdir())
    except OSError:
        return []


def _created(meta: Mapping[str, Any] | None) -> float:
    """When an entry was made (0 when its metadata cannot say: the oldest)."""
    created = meta.get("created") if meta is not None else None
    return float(created) if isinstance(created, (int, float)) else 0.0


def describe_age(meta: Mapping[str, Any]) -> str:
    created = meta.get("created")
    if not isinstance(created, (int, float)):
        return "earlier"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(created))


def _read_meta(entry: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((entry / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
        return None
    return meta


def _file_hash(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.digest()


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A cdk.json ``watch.exclude`` glob, anchored at the app folder; ``**`` spans folders.
    A pattern that matches a folder excludes everything in it."""
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out) + "(?:/.*)?")
    except re.error:
        return re.compile(re.escape(pattern))


MAX_ENTRIES = 32  # entries kept in the whole cache, newest first
MAX_CACHE_BYTES = 2 * 1024**3  # bytes kept in the whole cache
STALE_WORK_S = 3600.0  # a work folder this old belongs to a run that died: removed


def prune_total(
    root: Path, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_CACHE_BYTES
) -> None:
    """Bound the whole cache: the newest entries within ``max_entries`` and ``max_bytes`` stay;
    work folders left by runs that died are removed."""
    from iacscan.load.app_tree import tree_size

    now = time.time()
    entries: list[tuple[float, Path]] = []
    for child in _children(root):
        if child.name.startswith((".work-", ".old-")):
            with contextlib.suppress(OSError):
                if now - child.stat().st_mtime > STALE_WORK_S:
                    discard(child)
            continue
        entries.append((_created(_read_meta(child)), child))
    total = 0
    for kept, (_, child) in enumerate(sorted(entries, reverse=True)):
        size, _ = tree_size([child], max_bytes=max_bytes, max_files=MAX_FILES)
        total += size
        if kept >= max_entries or total > max_bytes:
            discard(child)
