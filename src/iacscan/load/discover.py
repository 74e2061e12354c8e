"""Paths -> loaded stacks: template files, folders of templates, CDK apps, cdk.out folders,
SAM templates, local nested stacks. A path that cannot be read becomes an ``InputError``;
the other paths are still loaded."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iacscan.errors import IacscanError, InputParseError, LimitError, UnsupportedInput
from iacscan.load import nested_match
from iacscan.load.cfn import (
    DEFAULT_LIMITS,
    Limits,
    decode_text,
    is_sam,
    looks_like_template,
    read_text,
    template_from_data,
)
from iacscan.load.confine import confined, inside, named_folders, roots_of
from iacscan.load.sandbox import SandboxMode
from iacscan.load.shared_names import qualify, shared_roots
from iacscan.model import InputError, InputInfo, InputKind, Template

if TYPE_CHECKING:
    from iacscan.load.piece_reuse import PieceMemo

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".aws-sam"}
MAX_NESTING = 10
# Nested templates loaded for one top-level template (fan-out: 10 stacks of 10 stacks of ...).
MAX_NESTED_TEMPLATES = 500


@dataclass(frozen=True, slots=True)
class SynthOptions:
    synth: bool = True
    use_cache: bool = True
    env_passthrough: bool = False
    sandbox: SandboxMode = "auto"  # --sandbox: how CDK apps are contained (load/sandbox.py)


@dataclass
class Loaded:
    templates: list[Template] = field(default_factory=list)
    inputs: list[InputInfo] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: int = 0
    # Root stack names two inputs shared, now qualified (load/shared_names.py).
    shared: set[str] = field(default_factory=set)
    # CDK apps (folders with cdk.json) found below a scanned folder: not synthesized.
    nested_apps: list[Path] = field(default_factory=list)


def error_of(err: IacscanError, fallback_file: str) -> InputError:
    kind = err.kind if err.kind in ("parse", "limit", "synth", "aws", "unsupported") else "parse"
    return InputError(
        file=err.file or fallback_file,
        line=err.line,
        kind=kind,  # type: ignore[arg-type]
        message=err.message,
        hint=err.hint,
    )


# Folders whose CDK apps are test data (fixtures of the repository's tests), not the system.
_TEST_DIRS = frozenset(
    {"test", "tests", "__tests__", "spec", "fixtures", "testdata", "test-fixtures", "__fixtures__"}
)


def find_templates(
    folder: Path, loaded: Loaded, *, skip: frozenset[Path] = frozenset()
) -> list[Path]:
    """Template candidates in a folder (by suffix; content decides later). No symlink loops;
    symlinks are followed only inside the repository (load/confine.py), and one that leaves it
    is an error naming it. ``skip``: resolved files and folders not to list (a CDK app's
    assembly)."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    roots = roots_of(folder)

    def outside(path: Path) -> bool:
        try:
            real = path.resolve()
        except (OSError, RuntimeError, ValueError):
            return False  # a loop: reading it says so, naming it
        if inside(real, roots):
            return False
        loaded.errors.append(
            InputError(
                file=str(path),
                line=None,
                kind="parse",
                message=f"a symlink to {real}, outside the repository: not followed",
                hint="iacscan reads only files inside the repository; remove the symlink or "
                "scan the target on its own",
            )
        )
        return True

    for root, dirs, files in os.walk(folder, followlinks=True):
        try:
            st = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            dirs[:] = []
            continue
        seen.add(ident)
        base = Path(root)
        if (
            base != folder
            and "cdk.json" in files
            and os.path.isfile(base / "cdk.json")
            and not _TEST_DIRS & set(base.relative_to(folder).parts)
        ):
            # (a CDK app among a repository's tests or fixtures is test data, not the system)
            loaded.nested_apps.append(base)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS
            and d != "cdk.out"
            and not (os.path.islink(base / d) and outside(base / d))
            and (not skip or (base / d).resolve() not in skip)
        )
        for name in sorted(files):
            path = base / name
            if name.endswith(TEMPLATE_SUFFIXES):
                if os.path.islink(path) and outside(path):
                    continue
                if skip and (
                    (resolved := path.resolve()) in skip
                    or any(parent in skip for parent in resolved.parents)
                ):
                    continue  # a CDK app's own files or its cloud assembly: read as CDK
                found.append(path)
            else:
                loaded.skipped += 1
    return found


def stack_names(
    files: Sequence[Path], base: Path | None, collide: Collection[str] = ()
) -> dict[Path, str]:
    """File stem, or the relative path without extension when stems collide (here, or in
    ``collide``: the stems that collide on the other side of a diff)."""
    stems: dict[str, int] = {}
    for f in files:
        stems[f.stem] = stems.get(f.stem, 0) + 1
    out = {}
    for f in files:
        if stems[f.stem] == 1 and f.stem not in collide:
            out[f] = f.stem
        else:
            try:
                rel = f.relative_to(base) if base else f
            except ValueError:
                rel = f
            out[f] = str(rel.with_suffix("")).replace(os.sep, "/")
    return out


def load_template(
    path: Path,
    stack: str,
    limits: Limits,
    *,
    folder_mode: bool = False,
    parent: str | None = None,
    parameter_values: Mapping[str, Any] | None = None,
    chain: tuple[str, ...] = (),
    errors: list[InputError] | None = None,
    count: list[int] | None = None,
    search: tuple[Path, ...] = (),
    notes: list[str] | None = None,
    sam_cache: bool = False,
    pieces: PieceMemo | None = None,
) -> tuple[list[Template], InputKind] | None:
    """One template file (plain or SAM) and the local nested stacks it includes.

    A nested template that cannot be loaded is added to ``errors`` (when given) and the
    including template is kept; without ``errors`` it raises. ``search``: the scanned folders,
    where a remote TemplateURL's file name is looked up (load/nested_match.py); ``notes``
    says which files were used that way. ``sam_cache``: look the SAM translator's output up in
    the user's cache (``load/sam_cache.py``) and store it there. ``pieces``: decoded texts
    of the other side of a diff, whose unchanged resources need not be decoded again.
    """
    from iacscan.load.foreign import READS, mentions_cloudformation, recognize_data, recognize_text

    text = read_text(path, limits)
    tolerated: list[str] = []
    foreign = recognize_text(path, text)
    if foreign is not None:
        if folder_mode:
            return None
        raise UnsupportedInput(
            f"this is {foreign}, not a CloudFormation template", READS, file=str(path)
        )
    try:
        if pieces is not None:
            data = pieces.decode(text, str(path), limits, tolerated, stack, decode_text)
        else:
            data = decode_text(text, str(path), limits, tolerated)
    except InputParseError:
        if folder_mode and not mentions_cloudformation(text):
            return None  # a YAML file of another tool (a Helm template...): not ours to parse
        raise
    if not looks_like_template(data):
        if folder_mode:
            return None
        foreign = recognize_data(data)
        if foreign is not None:
            raise UnsupportedInput(
                f"this is {foreign}, not a CloudFormation template", READS, file=str(path)
            )
    kind: InputKind = "template"
    transform = data.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    if "AWS::LanguageExtensions" in names:
        from iacscan.load.language_extensions import expand_language_extensions

        data = expand_language_extensions(data, file=str(path), parameter_values=parameter_values)
    if is_sam(data):
        from iacscan.load.sam import transform_sam
        from iacscan.load.sam_cache import SamCache

        template = transform_sam(
            data,
            file=str(path),
            stack=stack,
            base_dir=path.parent,
            limits=limits,
            parameter_values=parameter_values,
            cache=SamCache.default() if sam_cache else None,
        )
        template = _with_parent(template, parent, parameter_values)
        kind = "sam"
    else:
        template = template_from_data(
            data, file=str(path), stack=stack, parent=parent, parameter_values=parameter_values
        )
    if "Fn::Transform" in text:  # macros that compute values inside resources
        from iacscan.load.macros import value_macros

        template = replace(template, macros=template.macros + value_macros(template))
    if tolerated:
        template = replace(template, warnings=tuple(tolerated))
    count = count if count is not None else [0]
    chain = chain + (str(path.resolve()),)
    hints: dict[str, str] = {}
    nested = _nested(template, path, limits, chain, errors, count, search, notes, sam_cache, hints)
    if hints:  # why a nested template of a name in scope was not used (topology/unseen.py)
        template = replace(template, nested_hints=hints)
    return [template, *nested], kind


def _with_parent(t: Template, parent: str | None, values: Mapping[str, Any] | None) -> Template:
    if parent is None:
        return t
    return replace(t, parent=parent, parameter_values=dict(values or {}))


def _nested(
    template: Template,
    path: Path,
    limits: Limits,
    chain: tuple[str, ...],
    errors: list[InputError] | None,
    count: list[int],
    search: tuple[Path, ...] = (),
    notes: list[str] | None = None,
    sam_cache: bool = False,
    hints: dict[str, str] | None = None,
) -> list[Template]:
    out: list[Template] = []
    for lid, res in template.resources.items():
        if res.type != "AWS::CloudFormation::Stack":
            continue
        raw = res.properties.get("TemplateURL")
        url = raw if isinstance(raw, str) and nested_match.is_local(raw) else None
        if url is None:
            url = _matched(path, lid, res, raw, search, notes, template, hints)
            if url is None:
                continue  # remote or computed: an external node, marked unknown
        try:
            out.extend(
                _nested_one(
                    template,
                    path,
                    limits,
                    chain,
                    errors,
                    count,
                    lid,
                    res,
                    url,
                    search,
                    notes,
                    sam_cache,
                )
            )
        except IacscanError as err:
            if errors is None:
                raise
            # the nested stack's resources are what this side cannot see
            errors.append(replace(error_of(err, str(path)), stack=f"{template.stack}/{lid}"))
    return out


def _nested_one(
    template: Template,
    path: Path,
    limits: Limits,
    chain: tuple[str, ...],
    errors: list[InputError] | None,
    count: list[int],
    lid: str,
    res: Any,
    url: str,
    search: tuple[Path, ...] = (),
    notes: list[str] | None = None,
    sam_cache: bool = False,
) -> list[Template]:
    count[0] += 1  # nested templates loaded under one top-level template
    if count[0] > MAX_NESTED_TEMPLATES + 1:
        return []  # said once, below
    if count[0] > MAX_NESTED_TEMPLATES:
        raise LimitError(
            f"nested stack {lid}: more than {MAX_NESTED_TEMPLATES} nested templates under "
            f"{Path(chain[0]).name}; the rest are not loaded",
            "nested stacks that include the same templates many times over multiply; "
            "scan the nested templates on their own",
            file=str(path),
            line=res.line,
        )
    # Templates come from pull requests: a TemplateURL must not open files elsewhere.
    roots = roots_of(Path(chain[0]) if chain else path)
    child = confined(
        path.parent,
        url,
        roots,
        what=f"nested stack {lid}:",
        file=str(path),
        line=res.line,
        max_bytes=limits.max_file_size,
    )
    if str(child) in chain:
        raise InputParseError(
            f"nested stack {lid} includes {url}, which includes this template again (a cycle)",
            "remove the cycle between the nested templates",
            file=str(path),
            line=res.line,
        )
    if len(chain) >= MAX_NESTING:
        raise LimitError(
            f"nested stacks deeper than {MAX_NESTING} levels",
            "flatten the nesting",
            file=str(path),
            line=res.line,
        )
    if not child.is_file():
        raise InputParseError(
            f"nested stack {lid}: {url} not found",
            "check TemplateURL",
            file=str(path),
            line=res.line,
        )
    params = res.properties.get("Parameters")
    if not path.is_absolute() and _inside(child, Path.cwd().resolve()):
        # Shown as the parent is: relative, so reports and SARIF locations are repository paths.
        child = Path(os.path.relpath(child))
    loaded = load_template(
        child,
        f"{template.stack}/{lid}",
        limits,
        parent=f"{template.stack}/{lid}",
        parameter_values=params if isinstance(params, Mapping) else {},
        chain=chain,
        errors=errors,
        count=count,
        search=search,
        notes=notes,
        sam_cache=sam_cache,
    )
    return loaded[0] if loaded else []


def _matched(
    path: Path,
    lid: str,
    res: Any,
    url: Any,
    search: tuple[Path, ...],
    notes: list[str] | None,
    template: Template,
    hints: dict[str, str] | None = None,
) -> str | None:
    """A remote or computed TemplateURL whose file name is a template in scope: its local path.
    ``hints`` gets why not, when a template of its name is in scope but was not used."""
    url, unchosen = nested_match.branch(url, template)
    if unchosen is not None:
        if hints is not None:
            hints[lid] = unchosen
        return None
    name = nested_match.file_name(url)
    if name is None:
        return None
    found, where = nested_match.find(name, path, search)
    line = f"{path}:{res.line}" if res.line else str(path)
    if found is None:
        if hints is not None and where.startswith("several"):
            hints[lid] = f"there are {where}, and iacscan does not guess which one it deploys"
        return None
    if notes is not None:
        notes.append(
            f"nested stack {lid}: its TemplateURL is remote or filled at deploy time; "
            f"{found} ({where}) has the same file name, {name}, and was loaded as its template "
            f"({line})"
        )
    return nested_match.relative_url(found, path)


# file, stack, limits, from a folder, folders searched for nested templates, SAM cache
LoadJob = tuple[Path, str, Limits, bool, tuple[Path, ...], bool]
# templates, kind, errors, skipped, notes
LoadOutcome = tuple[list[Template] | None, InputKind | None, list[InputError], bool, list[str]]


@dataclass
class LoadMemo:
    """Files already loaded in this process, by content: the two sides of a diff share it, so a
    file both sides hold is decoded once. Only self-contained outcomes are kept: a plain
    template that loaded without error or warning and has no nested stack (a SAM template can
    read files next to it; its translation is shared through ``load/sam_cache.py`` instead)."""

    outcomes: dict[tuple[str, str, bool, bool, Limits], LoadOutcome] = field(default_factory=dict)
    hits: int = 0
    # Decoded texts, for files whose content changed: their unchanged resources are reused.
    pieces: PieceMemo = field(default_factory=lambda: _piece_memo())

    @staticmethod
    def key(job: LoadJob) -> tuple[str, str, bool, bool, Limits] | None:
        path, stack, limits, from_folder, _search, sam_cache = job
        try:
            if path.stat().st_size > limits.max_file_size:
                return None
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
        return digest, stack, from_folder, sam_cache, limits

    def reuse(self, key: object, path: Path) -> LoadOutcome | None:
        outcome = self.outcomes.get(key) if isinstance(key, tuple) else None
        if outcome is None or outcome[0] is None:
            return None
        self.hits += 1
        return [replace(t, file=str(path)) for t in outcome[0]], outcome[1], [], False, []

    def keep(self, key: object, outcome: LoadOutcome) -> None:
        templates, kind, errors, skipped, notes = outcome
        if (
            isinstance(key, tuple)
            and kind == "template"
            and templates is not None
            and len(templates) == 1
            and not errors
            and not skipped
            and not notes
            and not templates[0].attachments
            and not templates[0].warnings  # they name the file: the other side's path
            and not any(  # a nested stack is looked up beside the file: depends on its place
                r.type == "AWS::CloudFormation::Stack" for r in templates[0].resources.values()
            )
        ):
            self.outcomes[key] = outcome


def _piece_memo() -> PieceMemo:
    from iacscan.load.piece_reuse import PieceMemo  # a diff's; a scan never imports it

    return PieceMemo()


def load_paths(
    paths: Sequence[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    synth: SynthOptions = SynthOptions(),
    found_in_folder: bool = False,
    empty_is_error: bool = True,
    memo: LoadMemo | None = None,
    parallel: bool = True,
    collide: Collection[str] = (),
) -> Loaded:
    """Load every path. ``found_in_folder``: files were found in a folder, so a file that is
    not a template is skipped, not an error. ``empty_is_error``: a folder with no template in
    it is an input error (``diff`` turns it off: one side of a change may have none yet).
    ``memo``: reuse what an earlier call loaded from files of the same content (``diff``).
    ``parallel=False``: never start a process pool (the caller runs this in a thread).
    ``collide``: file stems to name by relative path although they are unique here (``diff``:
    they collide on the other side, and both sides must name a template alike)."""
    loaded = Loaded()
    files: list[tuple[Path, bool, Path | None]] = []  # (file, from a folder, folder)
    stacks: list[str] = []  # deployed stacks: stack:NAME, stack:* (--all-stacks)
    folders: list[Path] = []
    quiet: set[Path] = set()  # files found beside a CDK app or assembly
    app_stacks: dict[Path, set[str]] = {}  # folder -> construct paths of its CDK app's stacks
    seen: set[str] = set()
    for raw in paths:
        try:
            what = _classify(raw)
        except (OSError, RuntimeError, ValueError) as err:  # too long, a NUL, a symlink loop
            loaded.errors.append(
                InputError(
                    file=raw[:300],
                    line=None,
                    kind="parse",
                    message=f"cannot use this path: {getattr(err, 'strerror', None) or err}",
                    hint="check the path",
                )
            )
            continue
        if what == "missing":
            loaded.errors.append(
                InputError(
                    file=raw,
                    line=None,
                    kind="parse",
                    message="no such file or folder",
                    hint="check the path",
                )
            )
            continue
        key = raw if raw.startswith("stack:") else str(Path(raw).resolve())
        if key in seen:
            continue  # the same input twice is one input
        seen.add(key)
        if raw.startswith("stack:"):
            stacks.append(raw[len("stack:") :])
            continue
        path = Path(raw)
        if path.is_dir():
            before = len(loaded.templates)
            read = _load_cdk(path, limits, synth, loaded)
            app_stacks[path] = {t.stack_path for t in loaded.templates[before:] if t.stack_path}
            if read is None:
                folders.append(path)
                files.extend((f, True, path) for f in find_templates(path, loaded))
            else:
                # A cdk.json or manifest.json never hides the templates beside it: they are
                # scanned too (the assembly's own files and folders are not listed twice).
                # Its sources, package.json and the like are not news: not counted as skipped.
                aside = Loaded()
                found = find_templates(path, aside, skip=read)
                loaded.errors.extend(aside.errors)
                loaded.nested_apps.extend(aside.nested_apps)
                quiet.update(found)
                files.extend((f, True, path) for f in found)
        else:
            files.append((path, found_in_folder, None))
    bases = {f: base for f, _, base in files}
    names = stack_names([f for f, _, _ in files], _common_base(bases), collide)
    jobs: list[LoadJob] = [
        (
            f,
            names[f],
            limits,
            from_folder,
            (folder,) if folder is not None else (),
            synth.use_cache,
        )
        for f, from_folder, folder in files
    ]
    used: set[Path] = set()  # folders that gave a template or an error
    for (f, _, folder), outcome in zip(files, _load_all(jobs, memo, parallel), strict=True):
        templates, kind, errors, skipped, notes = outcome
        if templates is None and not skipped:  # the file's stack is what was not read
            errors = [e if e.stack else replace(e, stack=names[f]) for e in errors]
        loaded.errors.extend(errors)
        loaded.notes.extend(notes)
        if folder is not None and not skipped:
            used.add(folder)
        if skipped and f not in quiet:
            loaded.skipped += 1
        elif templates is not None and kind is not None:
            beside = app_stacks.get(folder) if folder is not None and f in quiet else None
            copied = _synthesized_copy(templates, beside)
            if copied is not None:
                loaded.notes.append(
                    f"{f}: a synthesized copy of the CDK app's stack {copied} (its resources' "
                    "aws:cdk:path), not scanned beside the app, which was synthesized instead; "
                    "scan the file alone to see what it holds"
                )
                continue
            loaded.templates.extend(templates)
            loaded.inputs.append(
                InputInfo(path=str(f), kind=kind, stacks=tuple(t.stack for t in templates))
            )
    _drop_roots_loaded_as_nested(loaded)
    named = {Path(raw).resolve() for raw in paths if not raw.startswith("stack:")}
    loaded.errors.extend(nested_app_errors(loaded.nested_apps, named))
    for folder in folders:
        if folder not in used and empty_is_error:
            loaded.errors.append(
                InputError(
                    file=str(folder),
                    line=None,
                    kind="parse",
                    message="no CloudFormation or SAM template in this folder",
                    hint="give a template, a folder of templates, a CDK app or a cdk.out folder",
                )
            )
    if stacks:
        _load_stacks(stacks, limits, loaded)
    requalify(loaded, shared_roots(loaded.templates, loaded.inputs))
    from iacscan.load.lookalike import lookalike_notes

    loaded.notes.extend(lookalike_notes(loaded.templates))
    return loaded


def nested_app_errors(apps: Sequence[Path], named: Collection[Path] = ()) -> list[InputError]:
    """A CDK app found below a scanned folder is not synthesized (that runs its code: only the
    apps named on the command line are, docs/security.md), nor skipped in silence: it is an
    input not analysed, named with what to do (an unknown ``ext:`` node that weakens the
    verdict, exit 3). ``named``: resolved paths given to the scan, whose apps are read already."""
    out: list[InputError] = []
    seen: set[Path] = set()
    for app in apps:
        try:
            real = app.resolve()
        except (OSError, RuntimeError, ValueError):
            real = app
        if real in seen or real in named:
            continue
        seen.add(real)
        out.append(
            InputError(
                file=str(app),
                line=None,
                kind="unsupported",
                message="a CDK app in a subfolder of the scanned folder (cdk.json): not "
                "synthesized, so what it deploys is not analysed",
                hint=f"scan its folder ({app}) as well, alone or beside the others; iacscan "
                "synthesizes only the CDK apps it is given",
            )
        )
    return out


def _drop_roots_loaded_as_nested(loaded: Loaded) -> None:
    """A template that another template in the run includes as a nested stack is analysed as
    that nested stack, not a second time on its own (a folder holding a root and its nested
    templates would count every resource twice)."""
    nested = {_resolved(t.file) for t in loaded.templates if t.parent is not None}
    drop = {t.stack for t in loaded.templates if t.parent is None and _resolved(t.file) in nested}
    if not drop:
        return
    gone = {
        t.stack
        for t in loaded.templates
        if t.stack in drop or any(t.stack.startswith(d + "/") for d in drop)
    }
    loaded.templates = [t for t in loaded.templates if t.stack not in gone]
    for info in [i for i in loaded.inputs if set(i.stacks) & drop]:
        loaded.inputs.remove(info)
        loaded.notes.append(
            f"{info.path} is included as a nested stack by another template in scope: "
            "analysed there, not again on its own"
        )


def _resolved(file: str) -> str:
    try:
        return str(Path(file).resolve())
    except (OSError, RuntimeError, ValueError):
        return file


def _synthesized_copy(templates: Sequence[Template], stacks: set[str] | None) -> str | None:
    """The stack of the CDK app beside it that a template found in the app's folder is a
    synthesized copy of (``cdk synth > template.yaml``, committed for readers): nearly every
    resource carries an ``aws:cdk:path`` under that stack's construct path. Else None: a
    template of its own is never hidden by a CDK app beside it (docs/security.md)."""
    if not stacks or len(templates) != 1:
        return None
    resources = list(templates[0].resources.values())
    paths = [r.cdk_path for r in resources if r.cdk_path]
    if not paths or len(paths) * 5 < len(resources) * 4:  # at least 80% carry a path
        return None
    roots = {s for p in paths for s in stacks if p.startswith(s + "/")}
    if len(roots) != 1 or not all(any(p.startswith(s + "/") for s in roots) for p in paths):
        return None
    return next(iter(roots))


def colliding_stems(paths: Sequence[str]) -> set[str]:
    """The template file stems that more than one file of these paths has (what
    ``stack_names`` will name by relative path); reads folder listings only."""
    stems: dict[str, int] = {}
    for raw in paths:
        if raw.startswith("stack:"):
            continue
        path = Path(raw)
        try:
            found = find_templates(path, Loaded()) if path.is_dir() else [path]
        except (OSError, RuntimeError, ValueError):
            continue  # load_paths reports it
        for f in found:
            stems[f.stem] = stems.get(f.stem, 0) + 1
    return {stem for stem, n in stems.items() if n > 1}


def _classify(raw: str) -> str:
    """``stack``, ``dir``, ``file`` or ``missing``; OSError for a path the system refuses."""
    if raw.startswith("stack:"):
        return "stack"
    path = Path(raw)
    path.resolve()
    if path.is_dir():
        return "dir"
    try:
        path.lstat()  # a name too long raises
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    return "file"


def requalify(loaded: Loaded, shared: set[str]) -> None:
    """Qualify the root stacks named in ``shared`` (see load/shared_names.py); ``diff`` calls it
    again with the names both sides share."""
    new = shared - loaded.shared
    if new:
        was = [t.stack for t in loaded.templates]
        loaded.templates, loaded.inputs, notes = qualify(loaded.templates, loaded.inputs, new)
        loaded.notes.extend(notes)
        loaded.shared |= new
        renamed = {old: t.stack for old, t in zip(was, loaded.templates, strict=True)}
        loaded.errors = [_requalified(e, renamed, new) for e in loaded.errors]


def _requalified(e: InputError, renamed: Mapping[str, str], new: set[str]) -> InputError:
    """An unread template's stack, renamed as the stack it is nested in was; a root template
    that failed to load is one of the template inputs (load/shared_names.py)."""
    if not e.stack:
        return e
    parents = [s for s in renamed if e.stack.startswith(s + "/")]
    if parents:
        parent = max(parents, key=len)
        return replace(e, stack=renamed[parent] + e.stack[len(parent) :])
    if e.stack in new:
        return replace(e, stack=f"template/{e.stack}")
    return e


def _inside(child: Path, folder: Path) -> bool:
    try:
        child.relative_to(folder)
    except ValueError:
        return False
    return True


PARALLEL_FROM = 8  # below this many files a process pool costs more than it saves


def load_one(job: LoadJob, pieces: PieceMemo | None = None) -> LoadOutcome:
    """Load one file; every failure comes back as data (errors do not pickle with their hints).
    ``pieces``: see ``load_template``."""
    path, stack, limits, from_folder, search, sam_cache = job
    errors: list[InputError] = []
    notes: list[str] = []
    try:
        with named_folders(search):  # a copy without .git: the named folder is the repository
            result = load_template(
                path,
                stack,
                limits,
                folder_mode=from_folder,
                errors=errors,
                search=search,
                notes=notes,
                sam_cache=sam_cache,
                pieces=pieces,
            )
    except IacscanError as err:
        return None, None, [*errors, error_of(err, str(path))], False, notes
    except RecursionError:
        message = "the template is nested too deeply to read"
        hint = "raise --max-depth only if the template is genuine"
        error = InputError(str(path), None, "limit", message, hint)
        return None, None, [*errors, error], False, notes
    except Exception as err:  # a loader bug: this file is lost, never the whole run
        message = f"internal error while loading: {type(err).__name__}: {err}"
        hint = "this is a bug in iacscan: please report it with this template"
        error = InputError(str(path), None, "internal", message, hint)
        return None, None, [*errors, error], False, notes
    if result is None:
        return None, None, errors, True, notes
    return result[0], result[1], errors, False, notes


def _load_all(jobs: list[LoadJob], memo: LoadMemo | None, parallel: bool) -> list[LoadOutcome]:
    """Every job's outcome, in order; with a memo, each file content is loaded once."""
    if memo is None:
        return _run_loads(jobs, parallel)
    keys = [LoadMemo.key(j) for j in jobs]
    outcomes: list[LoadOutcome | None] = [
        memo.reuse(k, j[0]) for k, j in zip(keys, jobs, strict=True)
    ]
    todo = [i for i, o in enumerate(outcomes) if o is None]
    done = _run_loads([jobs[i] for i in todo], parallel, memo.pieces)
    for i, outcome in zip(todo, done, strict=True):
        outcomes[i] = outcome
        memo.keep(keys[i], outcome)
    return [o for o in outcomes if o is not None]


def _run_loads(
    jobs: list[LoadJob], parallel: bool = True, pieces: PieceMemo | None = None
) -> list[LoadOutcome]:
    """Decode many files in a process pool sized to the cores (order kept); ``pieces`` serves
    the files loaded in this process."""
    workers = os.cpu_count() or 1
    if len(jobs) < PARALLEL_FROM or workers == 1 or not parallel:
        return [load_one(j, pieces) for j in jobs]
    from concurrent.futures import ProcessPoolExecutor

    from iacscan.load import gitrev

    # the workers read the revisions a diff extracted as this process does, whatever the
    # start method
    with ProcessPoolExecutor(
        max_workers=workers, initializer=gitrev.adopt, initargs=(gitrev.trees(),)
    ) as pool:
        return list(pool.map(load_one, jobs, chunksize=4))


def _common_base(bases: Mapping[Path, Path | None]) -> Path | None:
    folders = {b for b in bases.values() if b is not None}
    if len(folders) == 1:
        return next(iter(folders))
    try:
        return Path(os.path.commonpath([str(f.parent) for f in bases])) if bases else None
    except ValueError:
        return None


def _load_cdk(
    path: Path, limits: Limits, synth: SynthOptions, loaded: Loaded
) -> frozenset[Path] | None:
    """Load a CDK app or cdk.out folder; None when ``path`` is neither, else the resolved
    files and folders its assembly is made of (not to be scanned again as templates)."""
    from iacscan.load import cdk

    if cdk.is_cdk_app(path):
        own = _assembly_folders(path)
        try:
            result = cdk.load_cdk_app(
                path,
                limits=limits,
                synth=synth.synth,
                use_cache=synth.use_cache,
                env_passthrough=synth.env_passthrough,
                sandbox=synth.sandbox,
            )
        except IacscanError as err:
            loaded.errors.append(error_of(err, str(path)))
            return own
        kind: InputKind = "cdk-app"
    elif cdk.is_cdk_out(path):
        own = frozenset({path.resolve() / "manifest.json"})
        try:
            result = cdk.load_cdk_out(path, limits=limits)
        except IacscanError as err:
            loaded.errors.append(error_of(err, str(path)))
            return own
        kind = "cdk-out"
    else:
        return None
    loaded.templates.extend(result.templates)
    loaded.notes.extend(result.notes)
    loaded.inputs.append(
        InputInfo(path=str(path), kind=kind, stacks=tuple(t.stack for t in result.templates))
    )
    files = {Path(t.file).resolve() for t in result.templates}
    return own | files | {result.assembly_dir.resolve()}


def _assembly_folders(app: Path) -> frozenset[Path]:
    """The app's cloud assembly folders (cdk.json's output, and any folder holding a cdk.out
    version marker beside its manifest.json): synthesized copies of the app's stacks."""
    out: set[Path] = set()
    try:
        import json

        data = json.loads((app / "cdk.json").read_text("utf-8"))
        output = data.get("output") if isinstance(data, dict) else None
    except (OSError, ValueError):
        output = None
    for name in {"cdk.out", output if isinstance(output, str) and output else "cdk.out"}:
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            out.add((app / name).resolve())
    return frozenset(out)


def _load_stacks(names: Sequence[str], limits: Limits, loaded: Loaded) -> None:
    """Deployed stacks through boto3; region and profile come from the environment, where the
    CLI puts --region and --profile."""
    from iacscan.load.stack import load_stacks

    result = load_stacks(
        [n for n in names if n != "*"],
        all_stacks="*" in names,
        region=None,
        profile=None,
        limits=limits,
    )
    loaded.templates.extend(result.templates)
    loaded.inputs.extend(result.inputs)
    loaded.errors.extend(result.errors)
    loaded.notes.extend(result.notes)
