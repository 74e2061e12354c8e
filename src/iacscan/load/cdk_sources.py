"""Where in a CDK app's own source code each construct is created.

CDK users read their app, not the synthesized template: evidence should point at the line that
creates the construct. The construct path (``Shop/Orders/Queue/Resource``) is made of the ids the
app passed to constructors, so each id is searched as a string literal (``"Queue"``, ``'Queue'``,
`` `Queue` ``) in the app's source files (Python, TypeScript, JavaScript, Java, C#, Go), from the
deepest segment up: ``Queue``, then ``Orders``, then the stack ``Shop``. Ids CDK makes up itself
(``ServiceRole``, ``Resource``) are not in the source, so the walk goes on to the construct the
user wrote. When nothing matches, the location is the app's entry file named in cdk.json.

When an id appears several times, the first occurrence outside the entry file wins (the entry
file mostly instantiates stacks, and stack classes define the constructs), in sorted path order.
Tests are never a location: they quote construct ids but create nothing. The ids CDK gives the
children it makes for a construct (``Role``, ``ServiceRole``, ``DefaultPolicy``) are skipped
below the stack's top level, so a role points at the construct that made it.

Paths are shown relative to the working folder when the app is inside it or in the same git
repository (or to the top of a git revision extracted for ``diff --base-ref``), else relative to
the app's repository root (the nearest folder above with ``.git``), else to the app's parent
folder: never absolute, never into the synthesis cache.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from iacscan.load.cdk_cache import source_files
from iacscan.model import Template

SOURCE_SUFFIXES = (".py", ".ts", ".js", ".mjs", ".cjs", ".java", ".cs", ".go", ".kt")
MAX_SOURCE_BYTES = 2 * 1024 * 1024  # one file; bigger ones are generated, not written
MAX_SOURCE_FILES = 2_000
_LITERAL = re.compile(r"""(["'`])([A-Za-z0-9_.\-:@ ]{1,200})\1""")
DROPPED = frozenset({"Resource", "Default"})
# Ids CDK gives the children it creates for a construct (a function's or state machine's role
# and its policy): under a construct of the app, the app's own code does not name them, and a
# literal "Role" elsewhere in it is another construct.
GENERATED = frozenset({"ServiceRole", "Role", "DefaultPolicy", "Policy"})
# Written at the top of a git revision extracted for ``diff --base-ref``: paths are shown
# relative to it, as repository paths.
SOURCE_ROOT_MARKER = ".iacscan-source-root"

Location = tuple[str, int]


def display_root(app_dir: Path) -> Path:
    """The folder that shown paths are relative to (see the module docstring)."""
    here = Path.cwd().resolve()
    app = app_dir.resolve()
    for folder in (app, *app.parents):
        if (folder / SOURCE_ROOT_MARKER).is_file():  # a git revision extracted for a diff
            return folder
    if app.is_relative_to(here):
        return here
    repo = _repository(app)
    if repo is not None and repo == _repository(here):
        # beside the working folder in the same repository: "../cdk/app.py", relative to the
        # working folder like every other path of the report (SARIF makes repository paths)
        return here
    return repo or app.parent


def _repository(path: Path) -> Path | None:
    for folder in (path, *path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def shown(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (posix separators), or its name when outside it."""
    resolved = path.resolve()
    if resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    return os.path.relpath(resolved, root).replace(os.sep, "/")


def entry_file(app_dir: Path, command: str | None) -> Path:
    """The app's entry file: the first argument of cdk.json's ``app`` that is a source file in
    the app folder (``python3 app.py``, ``npx ts-node bin/app.ts``); else cdk.json itself."""
    if command:
        try:
            tokens = shlex.split(command)
        except ValueError:
            tokens = command.split()
        for token in tokens:
            candidate = app_dir / token
            if token.endswith(SOURCE_SUFFIXES) and candidate.is_file():
                return candidate
    return app_dir / "cdk.json"


class SourceIndex:
    """String literals of the app's source files -> where they first appear."""

    def __init__(self, app_dir: Path, entry: Path, skip_dirs: Sequence[str] = ()) -> None:
        self.hits: dict[str, list[tuple[bool, str, int]]] = {}
        self.patterns: list[tuple[re.Pattern[str], tuple[bool, str, int]]] = []
        entry_resolved = entry.resolve()
        count = 0
        for rel, path, info in source_files(app_dir, skip_dirs=skip_dirs):
            if not rel.endswith(SOURCE_SUFFIXES) or rel.endswith(".d.ts") or _is_test(rel):
                continue  # tests quote construct ids but create nothing: never a location
            if rel.endswith(".js") and Path(path.with_suffix(".ts")).is_file():
                continue  # compiled from the .ts next to it
            if info.st_size > MAX_SOURCE_BYTES:
                continue
            count += 1
            if count > MAX_SOURCE_FILES:
                break
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            is_entry = path.resolve() == entry_resolved
            for number, line in enumerate(text.splitlines(), start=1):
                for m in _LITERAL.finditer(line):
                    self.hits.setdefault(m.group(2), []).append((is_entry, rel, number))
                if len(self.patterns) < MAX_PATTERNS:
                    for pattern in _templates(line):
                        self.patterns.append((pattern, (is_entry, rel, number)))

    def find(self, literal: str) -> tuple[str, int] | None:
        """Where the construct id ``literal`` is written: as a literal, else as a template
        literal or f-string whose fixed parts it matches (`${stage}-Orders`, f"{env}-Orders").
        An id written in several files is ambiguous (``Handler`` in every construct): None, so
        the walk goes on to the construct above it."""
        found = self.hits.get(literal) or [
            hit for pattern, hit in self.patterns if pattern.fullmatch(literal)
        ]
        if not found:
            return None
        outside = [hit for hit in found if not hit[0]] or found
        if len({rel for _, rel, _ in outside}) > 1:
            return None
        # outside the entry file first, then path order
        _, rel, line = min(outside)
        return rel, line


# A JavaScript template literal or a Python f-string with a placeholder: `${stage}-Orders-Fn`,
# f"{env}-Orders-Fn". Its fixed parts must hold at least MIN_FIXED characters.
_TEMPLATE = re.compile(r"""`([^`\n]{1,200})`|\bf(["'])([^"'\n]{1,200})\2""")
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{[^}]*\}")
MIN_FIXED = 3
MAX_PLACEHOLDERS = 4
MAX_PATTERNS = 5_000  # template literals kept for the whole app


def _templates(line: str) -> list[re.Pattern[str]]:
    out: list[re.Pattern[str]] = []
    if "{" not in line:
        return out
    for m in _TEMPLATE.finditer(line):
        body = m.group(1) if m.group(1) is not None else m.group(3)
        fixed = _PLACEHOLDER.split(body)
        if len(fixed) < 2 or sum(len(f) for f in fixed) < MIN_FIXED:
            continue  # no placeholder, or a placeholder that would match any id
        if len(fixed) > MAX_PLACEHOLDERS + 1:
            continue  # not an id (a message): and many lazy runs would backtrack for long
        out.append(re.compile(".+?".join(re.escape(f) for f in fixed)))
    return out


def _is_test(rel: str) -> bool:
    """A test file (tests quote construct ids too, but do not create the constructs)."""
    parts = rel.split("/")
    name = parts[-1]
    return any(p in ("test", "tests", "__tests__", "spec") for p in parts[:-1]) or (
        name.startswith("test_") or ".test." in name or ".spec." in name
    )


def locate_constructs(
    templates: Iterable[Template],
    *,
    app_dir: Path | None,
    command: str | None,
    assembly_dir: Path,
    skip_dirs: Sequence[str] = (),
) -> list[Template]:
    """Templates with ``source_file``/``source_line`` set on their resources and
    ``entry_file`` set (see the module docstring). ``app_dir`` None (a cdk.out without its
    app): locations stay in the assembly's templates, shown relative."""
    templates = list(templates)
    if app_dir is None:
        root = display_root(assembly_dir)
        return [replace(t, file=shown(Path(t.file), root)) for t in templates]
    root = display_root(app_dir)
    entry = entry_file(app_dir, command)
    index = SourceIndex(app_dir, entry, skip_dirs)
    entry_shown = shown(entry, root)
    cache: dict[str, Location | None] = {}
    out = []
    for t in templates:
        resources = {}
        for lid, res in t.resources.items():
            where = _where(res.cdk_path, index, cache) if res.cdk_path else None
            if where is not None:
                res = replace(
                    res, source_file=shown(app_dir / where[0], root), source_line=where[1]
                )
            resources[lid] = res
        out.append(replace(t, resources=resources, entry_file=entry_shown))
    return out


def _where(path: str, index: SourceIndex, cache: dict[str, Location | None]) -> Location | None:
    segments = [s for s in path.split("/") if s]
    if any(s.startswith("Custom::") or s.endswith("CustomResourceProvider") for s in segments):
        return None  # a provider CDK makes for itself: nothing of the app's code names it
    for depth in range(len(segments), 0, -1):
        segment = segments[depth - 1]
        if (
            segment in DROPPED
            or (segment in GENERATED and depth > 2)  # a child CDK made for a construct
            or "." in segment
            and segment.endswith((".NestedStack", ".NestedStackResource"))
        ):
            continue
        if segment not in cache:
            cache[segment] = index.find(segment)
        found = cache[segment]
        if found is not None:
            return found
    return None
