"""Read a CDK cloud assembly: ``manifest.json``, its stacks, nested assemblies and nested stacks.

- ``aws:cloudformation:stack`` artifacts: ``properties.templateFile``, named by
  ``properties.stackName`` or the artifact id;
- ``cdk:cloud-assembly`` artifacts (stages): ``properties.directoryName``, read recursively;
- CDK nested stacks: an ``AWS::CloudFormation::Stack`` resource whose ``aws:asset:path`` metadata
  names a template file in the assembly becomes a ``Template`` of its own, named and prefixed
  ``<ParentStack>/<NestedLogicalId>``, with the resource's ``Parameters`` as parameter values.

Every file read stays inside the assembly folder; depths are bounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iacscan.errors import InputParseError, LimitError
from iacscan.load.cfn import Limits, decode_text, read_text, template_from_data
from iacscan.model import InputKind, Template

MANIFEST = "manifest.json"
MAX_ASSEMBLY_DEPTH = 8  # stages within stages
MAX_NESTED_DEPTH = 16  # nested stacks within nested stacks
# Templates read from one assembly: nested stacks that include the same template several times
# at each level multiply (10 of 10 of 10 ...); counted as they are read.
MAX_TEMPLATES = 500
STACK_TYPE = "aws:cloudformation:stack"
ASSEMBLY_TYPE = "cdk:cloud-assembly"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True, slots=True)
class Assembly:
    templates: tuple[Template, ...]
    notes: tuple[str, ...]
    # Context lookups the app asked for and CDK filled with placeholders (provider names).
    missing_context: tuple[str, ...]
    # Stack name -> "aws://account/region" as the manifest gives it.
    environments: Mapping[str, str] = field(default_factory=dict)


def is_cloud_assembly(path: Path) -> bool:
    """A folder whose manifest.json is a cloud assembly manifest."""
    manifest = path / MANIFEST
    if not manifest.is_file():
        return False
    if (path / "cdk.out").is_file():  # the assembly's version marker: even a damaged manifest
        return True
    try:
        if manifest.stat().st_size > 64 * 1024 * 1024:
            return False
        data = json.loads(manifest.read_bytes())
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and isinstance(data.get("version"), str)
        and isinstance(data.get("artifacts"), dict)
    )


def read_assembly(path: Path, *, kind: InputKind, limits: Limits) -> Assembly:
    reader = _Reader(path.resolve(), kind, limits)
    reader.read(reader.root, depth=0)
    if not reader.templates:
        # Nothing to analyse is not "no problem": a stray or emptied assembly must not pass.
        raise InputParseError(
            "the cloud assembly has no stacks, so there is nothing to analyse",
            "synthesize the app again (an app with no stack is not scanned), or remove the "
            "stray manifest.json",
            file=str(path / MANIFEST),
        )
    if reader.missing:
        providers = ", ".join(sorted(set(reader.missing)))
        reader.notes.append(
            f"The app asked for context lookups ({providers}) that only the CDK CLI performs; "
            "CDK used placeholder values, so the resources built from them may be incomplete. "
            "Run `cdk synth` once with AWS access so cdk.context.json holds the values, "
            "then scan again."
        )
    resources = [r for t in reader.templates for r in t.resources.values()]
    if resources and not any(r.cdk_path for r in resources):
        reader.notes.append(
            "The cloud assembly carries no construct paths (aws:cdk:path metadata): it was "
            "synthesized with path metadata off (`cdk synth --path-metadata false`, or an app "
            "run by hand without the CLI's context), so nodes are named by logical id and "
            "evidence points at the synthesized templates, not the app's source. Synthesize "
            "with `cdk synth` (path metadata is on by default), or scan the app folder."
        )
    return Assembly(
        tuple(reader.templates), tuple(reader.notes), tuple(reader.missing), reader.environments
    )


class _Reader:
    def __init__(self, root: Path, kind: InputKind, limits: Limits) -> None:
        self.root = root
        self.kind = kind
        self.limits = limits
        self.templates: list[Template] = []
        self.notes: list[str] = []
        self.missing: list[str] = []
        self.environments: dict[str, str] = {}

    def read(self, folder: Path, *, depth: int) -> None:
        manifest_file = folder / MANIFEST
        file = str(manifest_file)
        if depth > MAX_ASSEMBLY_DEPTH:
            raise LimitError(
                f"cloud assemblies are nested more than {MAX_ASSEMBLY_DEPTH} levels deep",
                "scan a nested assembly folder (e.g. cdk.out/assembly-Stage) directly",
                file=file,
            )
        manifest = self._manifest(manifest_file)
        for item in manifest.get("missing") or []:
            if isinstance(item, Mapping):
                self.missing.append(str(item.get("provider") or item.get("key") or "unknown"))
        artifacts = manifest.get("artifacts") or {}
        if not isinstance(artifacts, Mapping):
            raise InputParseError(
                "artifacts is not a mapping",
                "the manifest is damaged: synthesize again",
                file=file,
            )
        for artifact_id, artifact in artifacts.items():
            if not isinstance(artifact, Mapping):
                continue
            props = artifact.get("properties")
            props = props if isinstance(props, Mapping) else {}
            if artifact.get("type") == STACK_TYPE:
                name = props.get("stackName")
                stack = name if isinstance(name, str) and name else str(artifact_id)
                template_file = props.get("templateFile")
                if not isinstance(template_file, str) or not template_file:
                    raise InputParseError(
                        f"stack artifact {artifact_id} has no templateFile",
                        "the manifest is damaged: synthesize again",
                        file=file,
                    )
                env = artifact.get("environment")
                if isinstance(env, str):
                    self.environments[stack] = env
                path = self._inside(folder, template_file, file)
                display = artifact.get("displayName")
                self._stack(
                    path,
                    stack=stack,
                    parent=None,
                    params=None,
                    depth=0,
                    chain=(),
                    stack_path=display if isinstance(display, str) and display else None,
                )
            elif artifact.get("type") == ASSEMBLY_TYPE:
                directory = props.get("directoryName")
                if not isinstance(directory, str) or not directory:
                    raise InputParseError(
                        f"nested assembly artifact {artifact_id} has no directoryName",
                        "the manifest is damaged: synthesize again",
                        file=file,
                    )
                self.read(self._inside(folder, directory, file), depth=depth + 1)

    def _manifest(self, manifest_file: Path) -> Mapping[str, Any]:
        file = str(manifest_file)
        text = read_text(manifest_file, self.limits)
        try:
            data = json.loads(text)
        except ValueError as err:
            raise InputParseError(
                f"manifest.json is not valid JSON: {err}",
                "the cloud assembly is damaged: synthesize again",
                file=file,
                line=getattr(err, "lineno", None),
            ) from None
        if not isinstance(data, Mapping):
            raise InputParseError(
                "manifest.json is not a JSON object",
                "this is not a CDK cloud assembly",
                file=file,
            )
        return data

    def _stack(
        self,
        path: Path,
        *,
        stack: str,
        parent: str | None,
        params: Mapping[str, Any] | None,
        depth: int,
        chain: tuple[Path, ...],
        stack_path: str | None = None,
    ) -> None:
        file = str(path)
        if len(self.templates) >= MAX_TEMPLATES:
            raise LimitError(
                f"the cloud assembly has more than {MAX_TEMPLATES} stacks and nested stacks "
                "(nested stacks that include the same template many times multiply)",
                "this limit is fixed: scan the nested templates on their own",
                file=file,
            )
        data = decode_text(read_text(path, self.limits), file, self.limits)
        if data.get("Resources") is None:  # CDK writes stacks without resources: not an error
            data = {**data, "Resources": {}}
            self.notes.append(f"Stack {stack} has no resources.")
        template = template_from_data(
            data, file=file, stack=stack, kind=self.kind, parent=parent, parameter_values=params
        )
        if stack_path is None and parent is None:
            stack_path = _common_path(template)
        template = replace(template, stack_path=stack_path)
        self.templates.append(template)
        for logical_id, resource in template.resources.items():
            if resource.type != NESTED_STACK_TYPE:
                continue
            asset = resource.metadata.get("aws:asset:path")
            if not isinstance(asset, str) or not asset:
                continue  # not a CDK nested stack: a remote template the resolver leaves external
            name = f"{stack}/{logical_id}"
            nested = self._inside(path.parent, asset, file, line=resource.line)
            if not nested.is_file():
                self.notes.append(
                    f"Nested stack {name}: its template {asset} is not in the cloud assembly; "
                    "its resources are not scanned."
                )
                continue
            if nested in chain or nested == path:
                raise InputParseError(
                    f"nested stack {name} includes one of its own parent templates",
                    "the cloud assembly is damaged: synthesize again",
                    file=file,
                    line=resource.line,
                )
            if depth + 1 > MAX_NESTED_DEPTH:
                raise LimitError(
                    f"nested stacks go more than {MAX_NESTED_DEPTH} levels deep",
                    "iacscan reads CDK nested stacks up to that depth",
                    file=file,
                    line=resource.line,
                )
            raw = resource.properties.get("Parameters")
            self._stack(
                nested,
                stack=name,
                parent=name,
                params=raw if isinstance(raw, Mapping) else None,
                depth=depth + 1,
                chain=(*chain, path),
                stack_path=stack_path,
            )

    def _inside(self, base: Path, relative: str, file: str, line: int | None = None) -> Path:
        """``base / relative``, refused when it leaves the assembly folder (hostile input)."""
        target = (base / relative).resolve()
        if not target.is_relative_to(self.root):
            raise InputParseError(
                f"{relative} points outside the cloud assembly folder",
                "iacscan only reads files inside the cloud assembly; synthesize the app again",
                file=file,
                line=line,
            )
        return target


def _common_path(template: Template) -> str | None:
    """The stack's construct path when the manifest does not give it: the first segment that
    every resource's construct path starts with (``Stack`` of ``Stack/Queue/Resource``)."""
    firsts = {r.cdk_path.split("/", 1)[0] for r in template.resources.values() if r.cdk_path}
    return firsts.pop() if len(firsts) == 1 else None
