"""Read the same paths from a git revision into a temporary folder (for ``diff --base-ref``).

The folder stands for the repository at that revision: its reads are confined to it, as the
head's are to its git top level (load/confine.py), and a file a template there names outside
the paths extracted (``DefinitionUri: ../statemachines/x.asl.json``, a nested ``TemplateURL``,
an ``AWS::Include``) is read from the revision the first time it is asked for (``fetch``): the
base side sees what the head side sees, at its own revision.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from iacscan.errors import UnsupportedInput

if TYPE_CHECKING:
    import tarfile

# A scan imports this module (load/confine.py asks ``tree_of``): what only a diff's git work
# needs (subprocess, tarfile, tempfile) is imported where it is used.


def _git(args: Sequence[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    import subprocess

    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise UnsupportedInput(
            f"git failed: {err}", "is git installed and is this a repository?"
        ) from None
    if proc.returncode != 0:
        raise UnsupportedInput(
            f"git {' '.join(args[:2])} failed: {proc.stderr.decode(errors='replace').strip()[:300]}",
            "check the revision name (fetch the base branch in CI: actions/checkout with fetch-depth: 0)",
        )
    return proc.stdout


# Folders a revision was extracted into -> (the revision, the repository's top level).
_trees: dict[Path, tuple[str, Path]] = {}


def trees() -> dict[Path, tuple[str, Path]]:
    """The extracted revisions (for a process pool's workers: ``adopt``)."""
    return dict(_trees)


def adopt(known: dict[Path, tuple[str, Path]]) -> None:
    """In a worker process: the revisions the parent extracted."""
    _trees.update(known)


def forget(dest: Path) -> None:
    """The revision extracted into ``dest`` is gone (its temporary folder removed): nothing is
    fetched into it any more."""
    where = dest.resolve()
    _trees.pop(where, None)
    _tree_ids.pop(where, None)
    _notes.pop(where, None)
    _asked.pop(where, None)
    _written.pop(where, None)


def shown_as(dest: Path) -> tuple[str, str] | None:
    """(the extracted folder as a path prefix, the same place in the work tree as people name
    it: relative to the current folder) for the revision extracted into ``dest``, so that a
    report names ``infra/a.yaml``, not a temporary folder; None when nothing was extracted."""
    where = dest.resolve()
    found = _trees.get(where)
    if found is None:
        return None
    top = found[1]
    try:
        shown = os.path.relpath(top, Path.cwd())
    except ValueError:  # another drive (Windows): the absolute path
        shown = str(top)
    return str(where) + os.sep, ("" if shown == "." else shown + os.sep)


def tree_of(path: Path) -> Path | None:
    """The folder an extracted revision is in that holds ``path`` (resolved), if any."""
    for dest in _trees:
        if path.is_relative_to(dest):
            return dest
    return None


# Files asked of git per extracted revision (and process), at most: a template naming thousands
# of missing files must not run git thousands of times (past this they are missing, as any
# unread file is). And bytes written, at most: one blob may stand under many names at no cost.
FETCH_LIMIT = 256
FETCH_BYTES = 256 * 1024 * 1024
_asked: dict[Path, set[Path]] = {}
_written: dict[Path, int] = {}


def fetch(path: Path, max_bytes: int) -> bool:
    """Extract ``path`` (resolved, inside an extracted revision's folder, missing there) from
    that revision: a regular file of at most ``max_bytes``, through the revision's links that
    stay inside it (written as a copy, never a link). False when the revision has none."""
    dest = tree_of(path)
    if dest is None or path == dest:
        return False
    asked = _asked.setdefault(dest, set())
    if path in asked or len(asked) >= FETCH_LIMIT:
        return False
    asked.add(path)
    ref, top = _trees[dest]
    try:
        budget = min(max_bytes, FETCH_BYTES - _written.get(dest, 0))
        data = _followed_blob_at(ref, path.relative_to(dest).as_posix(), top, budget)
        if data is None:
            return False
        _written[dest] = _written.get(dest, 0) + len(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.parent.resolve().is_relative_to(dest):
            return False  # a folder of the revision that is a link (data_filter kept it inside)
        # a new name (O_EXCL): never a link or file the revision put beside it
        import tempfile

        fd, partial = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(partial, path)  # whole or not at all, if two workers fetch it at once
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
    except (OSError, UnsupportedInput):
        return False
    return True


def _followed_blob_at(ref: str, rel: str, top: Path, max_bytes: int) -> bytes | None:
    """The regular file ``rel`` names at ``ref``, through the revision's links that stay in the
    repository (as the head side's reads follow the work tree's); None for a link out of it, a
    folder, a submodule, a missing path or a file over ``max_bytes``."""
    if "\n" in rel:
        return None  # one object name a line
    # "<ref>:<path>" takes the path literally (no pathspec magic); --follow-symlinks answers
    # "symlink"/"loop"/"dangling"/"notdir"/"missing" for a link it does not resolve in the tree
    line = _git(
        ["cat-file", "--batch-check", "--follow-symlinks"],
        top,
        ref.encode() + b":" + os.fsencode(rel) + b"\n",
    )
    listed = line.decode("utf-8", "replace").split("\n", 1)[0].split()
    if len(listed) != 3 or listed[1] != "blob" or not listed[2].isdigit():
        return None
    if len(listed[0]) not in (40, 64) or listed[0].strip("0123456789abcdef"):
        return None
    if int(listed[2]) > max_bytes:
        return None
    return _git(["cat-file", "blob", listed[0]], top)


def materialize(
    ref: str, paths: Sequence[str], dest: Path, *, whole_for_cdk: bool = True
) -> dict[str, str]:
    """Extract ``paths`` as they are at ``ref`` under ``dest``: each path that exists at ``ref``
    -> where it now is. The repository is the one the first path is in, not the working
    directory's. ``whole_for_cdk``: paths that hold a CDK app bring the whole repository (off
    when nothing is synthesized)."""
    import io
    import tarfile

    from iacscan.load.cdk_sources import SOURCE_ROOT_MARKER

    top = _toplevel(paths)
    rels: dict[str, str] = {}
    for p in paths:
        try:
            rels[p] = Path(p).resolve().relative_to(top).as_posix()
        except ValueError:
            raise UnsupportedInput(
                f"{p} is not in the git repository {top}",
                "give paths inside one repository with --base-ref",
            ) from None
    dest.mkdir(parents=True, exist_ok=True)
    present = {}
    for p, rel in rels.items():
        listed = _git(["ls-tree", "--name-only", ref, "--", rel], top).strip()
        if listed:  # a path that does not exist at ref (a PR adding it) is simply empty there
            present[p] = rel
    if not present:
        return {}
    asked = pathspecs = sorted(set(present.values()))
    if whole_for_cdk and _holds_cdk_app(ref, pathspecs, top):
        # A CDK app reads what it imports and its assets (``Code.from_asset("../services/x")``)
        # wherever they are in the repository, and synthesis reads them itself (``fetch``
        # cannot serve it): the whole repository at ``ref``, unless it is too big to extract.
        size = _tree_bytes(ref, top)
        if size <= WHOLE_TREE_BYTES:
            pathspecs = []
        else:
            _notes[dest.resolve()] = [
                f"the repository at {ref} holds {_size(size)}, over the "
                f"{_size(WHOLE_TREE_BYTES)} extracted for a CDK app's base side: only "
                f"{', '.join(sorted(set(present.values())))} was extracted, so files the app "
                "reads elsewhere in the repository (assets, shared code) are missing there"
            ]
    tree = _git(["rev-parse", "--verify", f"{ref}^{{tree}}"], top).decode("ascii").strip()
    archive = _archive(ref, tree, pathspecs, top)
    refused: list[str] = []
    links: list[tarfile.TarInfo] = []

    def only_inside(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        link = member.issym() or member.islnk()
        try:
            # a link's name is checked here, its target by _make_links once every link exists
            # (judged now, before the links it climbs through are made, a target inside such
            # as ``a/../../..`` with ``a -> x/y`` would look like a way out)
            probe = member
            if link:
                probe = member.replace(linkname="", deep=False)
                probe.type = tarfile.REGTYPE
            kept = tarfile.data_filter(probe, path)
        except tarfile.FilterError:  # a symlink out of the repository, an absolute path
            refused.append(member.name)
            return None
        if link:
            if os.path.isabs(member.linkname):
                refused.append(member.name)
            else:  # made after every file and folder: nothing is written through one
                links.append(member.replace(name=kept.name, deep=False))
            return None
        return kept

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter=only_inside)
    refused += _make_links(dest, links)
    (dest / SOURCE_ROOT_MARKER).touch()  # CDK source locations: relative to the repository
    if not pathspecs:
        # The whole repository was extracted for a CDK app: a link out elsewhere in it (a
        # developer's ``tools/python -> /usr/bin/python3``) is left out, as files beyond the
        # paths would be without the app; only the paths asked for must be free of them.
        elsewhere = sorted(n for n in refused if not _under(n, asked))
        if elsewhere:
            refused = [n for n in refused if _under(n, asked)]
            _notes.setdefault(dest.resolve(), []).append(
                f"at {ref}, {', '.join(elsewhere[:5])}{' ...' if len(elsewhere) > 5 else ''} "
                f"{'is a link' if len(elsewhere) == 1 else 'are links'} out of the repository, "
                "not extracted for the CDK app's base side (it cannot read through them there)"
            )
    if refused:
        raise UnsupportedInput(
            f"at {ref}, {', '.join(sorted(refused)[:5])} "
            f"{'is a link' if len(refused) == 1 else 'are links'} out of the repository",
            "iacscan reads only files inside the repository; remove the link",
        )
    _borrow_node_modules(dest, top)
    for gone in [d for d in _trees if not d.exists()]:  # a diff that failed before ``forget``
        forget(gone)
    _trees[dest.resolve()] = (ref, top)  # from now on a file outside the paths is fetched
    _tree_ids[dest.resolve()] = tree
    return {p: str(dest / rel) for p, rel in present.items()}


# The most a revision's whole repository may hold to be extracted for a CDK app's base side.
WHOLE_TREE_BYTES = 512 * 1024 * 1024
_notes: dict[Path, list[str]] = {}  # extracted folder -> what its extraction could not give
_tree_ids: dict[Path, str] = {}  # extracted folder -> the git tree it holds


def revision_of(path: Path) -> str | None:
    """The git tree (its object id) of the extracted revision that holds ``path``, if any: a
    CDK app there is synthesized from that whole tree, not only from its own folder."""
    dest = tree_of(path.resolve())
    return _tree_ids.get(dest) if dest is not None else None


def notes(dest: Path) -> list[str]:
    """What the extraction into ``dest`` could not give (for the side's notes)."""
    return list(_notes.get(dest.resolve(), ()))


def _under(name: str, paths: Sequence[str]) -> bool:
    """Whether the archive member ``name`` is one of ``paths`` (relative to the repository;
    ``.`` is all of it) or inside one."""
    name = name.rstrip("/")
    return any(p == "." or name == p or name.startswith(p.rstrip("/") + "/") for p in paths)


def _size(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _holds_cdk_app(ref: str, pathspecs: Sequence[str], top: Path) -> bool:
    listed = _git(["ls-tree", "-r", "--name-only", "-z", ref, "--", *pathspecs], top)
    return any(
        name == b"cdk.json" or name.endswith(b"/cdk.json") for name in listed.split(b"\0")
    )


def _tree_bytes(ref: str, top: Path) -> int:
    """The size of every file of the repository at ``ref``."""
    total = 0
    for line in _git(["ls-tree", "-r", "-l", "-z", ref], top).split(b"\0"):
        fields = line.split(None, 4)  # mode, type, object, size, path
        if len(fields) == 5 and fields[1] == b"blob" and fields[3].isdigit():
            total += int(fields[3])
    return total


def _make_links(dest: Path, links: Sequence[tarfile.TarInfo]) -> list[str]:
    """The revision's symbolic links, made once its files are written, so that no file of the
    archive is written through one (Python's ``data_filter`` checks a link against the tree as
    it is when the link is met; on Pythons before 3.11.13 / 3.12.11 crafted link chains got
    past it). Each link must lead inside ``dest`` once all are made; the names of those that do
    not (and of hard links, which ``git archive`` never writes) are returned, removed."""
    inside = dest.resolve()
    made: list[tuple[str, Path]] = []
    refused: list[str] = []
    for link in links:
        where = dest / link.name
        if not link.issym():
            refused.append(link.name)
            continue
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            if not where.parent.resolve().is_relative_to(inside):
                refused.append(link.name)
                continue
            os.symlink(link.linkname, where)
        except OSError:
            refused.append(link.name)
            continue
        made.append((link.name, where))
    for name, where in made:  # chains resolve only once every link exists
        if not Path(os.path.realpath(where)).is_relative_to(inside):
            refused.append(name)
            with contextlib.suppress(OSError):
                where.unlink()
    return refused


def _archive(ref: str, tree: str, pathspecs: Sequence[str], top: Path) -> bytes:
    """``git archive`` of ``pathspecs`` at ``ref`` (whose git tree is ``tree``) as a checkout
    holds them: the revision's
    ``export-ignore`` and ``export-subst`` attributes (settings for release archives) are turned
    off, or a file a CDK app reads could be missing on the base side only. git 2.39 has no
    ``--attr-source``: the archive is made in a temporary bare repository that borrows this
    one's objects (``objects/info/alternates``) and whose ``info/attributes``, which outranks
    the tree's ``.gitattributes``, unsets both. A partial clone (its missing objects are
    fetched through its own configuration) is archived as it is."""
    import tempfile

    plain = ["archive", "--format=tar", ref, "--", *pathspecs]
    try:
        partial = bool(_git(["config", "--get", "extensions.partialClone"], top).strip())
    except UnsupportedInput:
        partial = False  # ``config --get`` fails on an unset key
    if partial:
        return _git(plain, top)
    try:
        objects = _git(["rev-parse", "--path-format=absolute", "--git-path", "objects"], top)
    except UnsupportedInput:
        return _git(plain, top)
    with tempfile.TemporaryDirectory(prefix="iacscan-git-") as bare:
        try:
            _git(["init", "-q", "--bare", bare], top)
            (Path(bare) / "objects" / "info").mkdir(parents=True, exist_ok=True)
            (Path(bare) / "objects" / "info" / "alternates").write_bytes(objects)
            (Path(bare) / "info").mkdir(exist_ok=True)
            (Path(bare) / "info" / "attributes").write_text("* -export-ignore -export-subst\n")
            git_dir = ["--git-dir", bare]
            return _git([*git_dir, "archive", "--format=tar", tree, "--", *pathspecs], top)
        except (OSError, UnsupportedInput):
            return _git(plain, top)


def _borrow_node_modules(dest: Path, top: Path) -> None:
    """A TypeScript CDK app at ``ref`` has no node_modules (git does not track it): link the
    work tree's, so that the base side synthesizes with the dependencies the head installed."""
    for cdk_json in dest.rglob("cdk.json"):
        app = cdk_json.parent
        installed = top / app.relative_to(dest) / "node_modules"
        if installed.is_dir() and not os.path.lexists(app / "node_modules"):
            with contextlib.suppress(OSError):  # a folder that is a link, a read-only folder
                (app / "node_modules").symlink_to(installed, target_is_directory=True)


def _toplevel(paths: Sequence[str]) -> Path:
    start = Path(paths[0]).resolve() if paths else Path.cwd()
    while not start.exists() and start != start.parent:
        start = start.parent  # a path the head deletes or adds: its nearest existing folder
    if not start.is_dir():
        start = start.parent
    return Path(_git(["rev-parse", "--show-toplevel"], start).decode().strip())


def toplevel_of(start: Path) -> Path | None:
    """The git top level of the folder ``start`` is in, or None outside a repository."""
    try:
        return _toplevel([str(start)])
    except UnsupportedInput:
        return None


def read_at(ref: str, path: Path, top: Path, max_bytes: int) -> bytes | None:
    """The content of ``path`` (a file in the work tree of ``top``) at ``ref``; None when the
    file is not there at ``ref`` or is bigger than ``max_bytes``."""
    try:
        rel = path.resolve().relative_to(top).as_posix()
    except ValueError:
        return None
    listed = _git(["ls-tree", "-l", ref, "--", rel], top).decode("utf-8", "replace").split()
    # "<mode> blob <sha> <size>\t<path>": regular files only (no symlink, no submodule)
    if len(listed) < 4 or listed[1] != "blob" or not listed[0].startswith("100"):
        return None
    if not listed[3].isdigit() or int(listed[3]) > max_bytes:
        return None
    return _git(["cat-file", "blob", listed[2]], top)
