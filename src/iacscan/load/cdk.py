"""CDK apps and cloud assemblies: synthesize (without the CDK CLI), cache, read.

``load_cdk_app`` runs cdk.json's ``app`` command with ``CDK_OUTDIR`` and ``CDK_CONTEXT_JSON``
set (see ``cdk_synth``), reuses an earlier synthesis when the app's files have not changed (see
``cdk_cache``) and reads the cloud assembly (see ``cdk_assembly``). ``load_cdk_out`` reads an
assembly that is already there and runs nothing.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacscan.errors import IacscanError, InputParseError, UnsupportedInput
from iacscan.load import cdk_cache, gitrev
from iacscan.load.cdk_assembly import Assembly, is_cloud_assembly, read_assembly
from iacscan.load.cdk_sources import locate_constructs
from iacscan.load.cdk_synth import app_argv, run_app
from iacscan.load.cfn import Limits, read_text
from iacscan.load.sandbox import SandboxMode
from iacscan.model import Template

CDK_JSON = "cdk.json"
CONTEXT_FILE = "cdk.context.json"

# What the CDK CLI would add to the context, minus telemetry, plus no bundling and no asset
# staging: iacscan needs the templates, not built assets (and so no Docker).
TOOL_CONTEXT: Mapping[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": False,
    "aws:cdk:bundling-stacks": [],
    "aws:cdk:disable-asset-staging": True,
}


@dataclass(frozen=True, slots=True)
class CdkResult:
    templates: tuple[Template, ...]  # one per stack, plus nested stacks
    assembly_dir: Path
    synthesized: bool  # True when the app's code ran in this call
    cached: bool  # True when a cached assembly was reused
    notes: tuple[str, ...]  # sentences for the report


@dataclass(frozen=True, slots=True)
class CdkConfig:
    """What iacscan uses of cdk.json and cdk.context.json."""

    app: str | None
    context: Mapping[str, Any]  # as given to the app: tool defaults < cdk.context.json < cdk.json
    output: str  # the folder `cdk synth` writes to
    excludes: tuple[str, ...]  # watch.exclude globs
    file: str  # the app folder: errors about the app (config, synthesis) name it


def is_cdk_app(path: Path) -> bool:
    """A folder with cdk.json."""
    return path.is_dir() and (path / CDK_JSON).is_file()


def is_cdk_out(path: Path) -> bool:
    """A folder with the manifest.json of a cloud assembly."""
    return path.is_dir() and is_cloud_assembly(path)


def read_config(app_dir: Path, limits: Limits) -> CdkConfig:
    cdk_json = app_dir / CDK_JSON
    where = str(app_dir)
    data = _json_object(cdk_json, limits, where)
    saved_file = app_dir / CONTEXT_FILE
    saved = _json_object(saved_file, limits, where) if saved_file.is_file() else {}
    app = data.get("app")
    if app is not None and not isinstance(app, str):
        raise InputParseError(
            '"app" in cdk.json is not a string',
            'set "app" to the command that runs the app, e.g. "python3 app.py"',
            file=where,
        )
    context = dict(TOOL_CONTEXT)
    if data.get("pathMetadata") is False:
        context["aws:cdk:enable-path-metadata"] = False
    if data.get("assetMetadata") is False:
        context["aws:cdk:enable-asset-metadata"] = False
    user_context = data.get("context")
    context.update(saved)
    context.update(user_context if isinstance(user_context, Mapping) else {})
    output = data.get("output")
    watch = data.get("watch")
    excludes = watch.get("exclude") if isinstance(watch, Mapping) else None
    if isinstance(excludes, str):
        excludes = [excludes]
    output = output if isinstance(output, str) and output.strip() else "cdk.out"
    _check_output(app_dir, output, where)
    return CdkConfig(
        app=(app.strip() or None) if isinstance(app, str) else None,
        context=context,
        output=output,
        excludes=tuple(e for e in excludes or () if isinstance(e, str)),
        file=where,
    )


def _check_output(app_dir: Path, output: str, where: str) -> None:
    """cdk.json's ``output`` must stay inside the app folder (it comes from the pull request)."""
    try:
        target = (app_dir / output).resolve()
        inside = target.is_relative_to(app_dir.resolve())
    except (OSError, RuntimeError, ValueError):
        inside = False
    if not inside:
        raise InputParseError(
            f'"output" in cdk.json ({output}) points outside the app folder',
            'iacscan reads a cloud assembly only inside the app folder: set "output" to a '
            "folder in it (e.g. cdk.out), or scan the assembly folder itself",
            file=where,
        )


def load_cdk_app(
    path: Path,
    *,
    limits: Limits,
    synth: bool = True,
    use_cache: bool = True,
    env_passthrough: bool = False,
    cache_dir: Path | None = None,
    sandbox: SandboxMode = "auto",
) -> CdkResult:
    """Synthesize the CDK app in ``path`` (or reuse a cached synthesis) and read its stacks.

    ``synth=False`` runs no code: it reads the app's existing cdk.out or refuses.
    ``use_cache=False`` synthesizes even when a cached assembly matches (and refreshes it).
    """
    app_dir = path.parent if path.name == CDK_JSON and path.is_file() else path
    if not is_cdk_app(app_dir):
        raise UnsupportedInput(
            f"{app_dir} is not a CDK app folder (it has no cdk.json)",
            "pass the folder that holds cdk.json",
            file=str(app_dir),
        )
    config = read_config(app_dir, limits)
    if not synth:
        return _existing_assembly(app_dir, config, limits)
    if config.app is None:
        raise UnsupportedInput(
            'cdk.json has no "app" command, so iacscan cannot synthesize the app',
            'add "app" to cdk.json (e.g. "python3 app.py"), or run `cdk synth --app ...` '
            "yourself and scan the cdk.out folder",
            file=config.file,
        )
    argv, _ = app_argv(config.app)
    program = shutil.which(argv[0]) or argv[0]
    identity = {
        "command": config.app,
        "program": program,
        "context": config.context,
        "env_passthrough": env_passthrough,
        "installed": cdk_cache.installed_libraries(app_dir, program),
    }
    revision = gitrev.revision_of(app_dir)
    if revision is not None:
        # the base side of a diff: the app may read anything of that revision's tree (its
        # assets, shared code), which its own folder's files do not tell apart
        identity["revision_tree"] = revision
    root = cache_dir if cache_dir is not None else cdk_cache.default_root()
    digest = cdk_cache.source_digest(
        app_dir, identity=identity, excludes=config.excludes, skip_dirs=(config.output,)
    )
    if use_cache and digest.key is not None:
        entry = cdk_cache.lookup(root, digest.key)
        if entry is not None:
            try:
                assembly = read_assembly(entry.path, kind="cdk-app", limits=limits)
            except IacscanError:
                cdk_cache.discard(entry.path)  # damaged: synthesize again below
            else:
                unchanged = (
                    "the revision is the same"
                    if revision is not None
                    else f"{_compared(digest)} have not changed since; other files it may read"
                    " are not compared"
                )
                note = (
                    f"Reused the cloud assembly synthesized on {cdk_cache.describe_age(entry.meta)}"
                    f" ({unchanged}: --no-cache synthesizes again)"
                )
                return _result(
                    assembly,
                    entry.path,
                    synthesized=False,
                    cached=True,
                    note=note,
                    app=app_dir,
                    config=config,
                )
    return _synthesize(app_dir, config, root, digest, limits, env_passthrough, sandbox)


def _compared(digest: cdk_cache.SourceDigest) -> str:
    """What a cache hit compared: the app folder, and what outside it the app's code names."""
    if not digest.outside:
        return "the app folder's files"
    shown = ", ".join(digest.outside[:3]) + (", ..." if len(digest.outside) > 3 else "")
    return f"the app folder's files and those its code names outside it ({shown})"


def load_cdk_out(path: Path, *, limits: Limits) -> CdkResult:
    """Read a cloud assembly folder (``cdk.out``) that is already synthesized."""
    folder = path.parent if path.name == "manifest.json" and path.is_file() else path
    if not is_cdk_out(folder):
        raise UnsupportedInput(
            f"{folder} is not a CDK cloud assembly (no manifest.json of one)",
            "pass a cdk.out folder written by `cdk synth`, or the CDK app folder itself",
            file=str(folder),
        )
    assembly = read_assembly(folder, kind="cdk-out", limits=limits)
    note = f"Read the synthesized cloud assembly in {folder}"
    app = folder.parent if is_cdk_app(folder.parent) else None
    config = None
    if app is not None:
        try:  # only for locations in the app's source: a broken cdk.json must not stop a read
            config = read_config(app, limits)
        except IacscanError:
            app = None
    return _result(
        assembly, folder, synthesized=False, cached=False, note=note, app=app, config=config
    )


def _synthesize(
    app_dir: Path,
    config: CdkConfig,
    root: Path,
    digest: cdk_cache.SourceDigest,
    limits: Limits,
    env_passthrough: bool,
    sandbox: SandboxMode,
) -> CdkResult:
    assert config.app is not None
    work, in_cache = cdk_cache.work_dir(root)
    outdir, scratch = work / "assembly", work / "scratch"
    outdir.mkdir()
    scratch.mkdir()
    assembly_dir: Path | None = None
    try:
        run = run_app(
            config.app,
            cwd=app_dir,
            outdir=outdir,
            context=config.context,
            timeout=limits.synth_timeout,
            env_passthrough=env_passthrough,
            scratch=scratch,
            file=config.file,
            sandbox=sandbox,
        )
        notes = [f"Synthesized the CDK app with `{config.app}` ({run.seconds:.1f} s)"]
        if run.protection:
            notes.append(run.protection)
        if run.withheld:
            notes.append(
                f"AWS credentials were withheld from the app ({', '.join(run.withheld)}); "
                "--synth-env-passthrough passes them"
            )
        if in_cache and digest.key is not None:
            meta = {
                "app_dir": str(app_dir.resolve()),
                "command": config.app,
                "created": time.time(),
                "seconds": round(run.seconds, 2),
            }
            assembly_dir = cdk_cache.store(root, digest.key, outdir, meta)
            cdk_cache.prune(root, str(app_dir.resolve()))
            cdk_cache.prune_total(root)
        else:
            assembly_dir = outdir
            why = digest.reason if digest.key is None else f"{root} is not writable"
            notes.append(f"The synthesis is not cached: {why}")
        assembly = read_assembly(assembly_dir, kind="cdk-app", limits=limits)
    finally:
        # Keep the work folder only when the assembly stayed in it (not moved into the cache).
        shutil.rmtree(work if assembly_dir != outdir else scratch, ignore_errors=True)
    return _result(
        assembly,
        assembly_dir,
        synthesized=True,
        cached=False,
        note=notes,
        app=app_dir,
        config=config,
    )


def _existing_assembly(app_dir: Path, config: CdkConfig, limits: Limits) -> CdkResult:
    folder = app_dir / config.output
    if not is_cdk_out(folder):
        raise UnsupportedInput(
            f"{app_dir} is a CDK app without a synthesized {config.output}, and --no-synth "
            "forbids running its code",
            "drop --no-synth to let iacscan synthesize the app, or run `cdk synth` first "
            "and scan again",
            file=config.file,
        )
    assembly = read_assembly(folder, kind="cdk-app", limits=limits)
    notes = [f"Read the existing cloud assembly in {folder} without running the app (--no-synth)"]
    newer = _newer_source(app_dir, config, folder / "manifest.json")
    if newer:
        notes.append(
            f"{config.output} is older than {newer}: the scan may not match the current code; "
            "run `cdk synth` again or drop --no-synth"
        )
    return _result(
        assembly, folder, synthesized=False, cached=False, note=notes, app=app_dir, config=config
    )


def _newer_source(app_dir: Path, config: CdkConfig, manifest: Path) -> str | None:
    try:
        built = manifest.stat().st_mtime
    except OSError:
        return None
    newest: tuple[float, str] | None = None
    for rel, _, info in cdk_cache.source_files(
        app_dir, excludes=config.excludes, skip_dirs=(config.output,)
    ):
        if (
            rel != CONTEXT_FILE
            and info.st_mtime > built
            and (newest is None or info.st_mtime > newest[0])
        ):
            newest = (info.st_mtime, rel)
    return newest[1] if newest else None


def _result(
    assembly: Assembly,
    folder: Path,
    *,
    synthesized: bool,
    cached: bool,
    note: str | list[str],
    app: Path | None,
    config: CdkConfig | None,
) -> CdkResult:
    first = [note] if isinstance(note, str) else note
    stacks = sum(1 for t in assembly.templates if t.parent is None)
    nested = len(assembly.templates) - stacks
    count = f"{stacks} stack{'s' if stacks != 1 else ''}"
    if nested:
        count += f" and {nested} nested stack{'s' if nested != 1 else ''}"
    first[0] = f"{first[0]}: {count}"
    templates = locate_constructs(
        assembly.templates,
        app_dir=app,
        command=config.app if config is not None else None,
        assembly_dir=folder,
        skip_dirs=(config.output,) if config is not None else (),
    )
    return CdkResult(
        templates=tuple(templates),
        assembly_dir=folder,
        synthesized=synthesized,
        cached=cached,
        notes=(*first, *assembly.notes),
    )


def _json_object(path: Path, limits: Limits, where: str) -> Mapping[str, Any]:
    text = read_text(path, limits)
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as err:
        raise InputParseError(
            f"{path.name} is not valid JSON: {err}",
            f"fix the JSON syntax of {path.name}",
            file=where,
        ) from None
    if not isinstance(data, Mapping):
        raise InputParseError(
            f"{path.name} is not a JSON object",
            f"{path.name} must be a JSON object",
            file=where,
        )
    return data
