"""Deployed stacks through boto3: ``stack:NAME`` paths and ``--all-stacks``.

For every stack: the parameter values it runs with (DescribeStacks), the template as written
(GetTemplate, stage Original; SAM is transformed here, with the Processed stage as fallback;
other transforms and macros are read from the Processed stage), its nested stacks
(ListStackResources -> AWS::CloudFormation::Stack -> the child's own template and parameters),
and the stacks whose exports it imports when they are not scanned already (ListExports), so
``Fn::ImportValue`` resolves against what is deployed. Those stacks join the scope as inputs of
their own, with a note that says why.

A failure is an ``InputError`` of kind ``aws`` for that stack; the other stacks still load.
``load_with_client`` takes the client, so tests can hand in a stubbed one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iacscan.errors import IacscanError, InputParseError, LimitError
from iacscan.load.aws_errors import FetchError, aws_error
from iacscan.load.cfn import (
    SAM_TRANSFORM,
    Limits,
    check_depth,
    decode_text,
    is_sam,
    template_from_data,
)
from iacscan.load.stack_imports import StackContext, imported_names
from iacscan.model import InputError, InputInfo, Template

MAX_NESTING = 10
MAX_EXPORTING_STACKS = 50
_LOCAL_TRANSFORMS = {SAM_TRANSFORM, "AWS::LanguageExtensions"}
_SKIPPED_STATUSES = {"DELETE_COMPLETE", "REVIEW_IN_PROGRESS"}  # nothing deployed


@dataclass(frozen=True, slots=True)
class StackExport:
    name: str
    value: str
    stack_id: str  # the exporting stack's ARN


@dataclass
class StackLoad:
    templates: list[Template] = field(default_factory=list)
    inputs: list[InputInfo] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The region's exports (ListExports), listed when a loaded stack imports one.
    exports: dict[str, StackExport] = field(default_factory=dict)


def load_stacks(
    names: Sequence[str],
    *,
    all_stacks: bool,
    region: str | None,
    profile: str | None,
    limits: Limits,
) -> StackLoad:
    """Load deployed stacks by name or ARN (and every root stack of the region with
    ``all_stacks``). ``region``/``profile`` None: the usual AWS environment and config files."""
    try:
        client = make_client(region=region, profile=profile)
    except Exception as err:  # botocore's, at session or client creation
        failure = _as_fetch_error(err, stack="", region=region)
        labels = list(dict.fromkeys(names)) + (["*"] if all_stacks else [])
        return StackLoad(errors=[_input_error(failure, f"stack:{n}") for n in labels])
    return load_with_client(client, names, all_stacks=all_stacks, limits=limits)


def make_client(*, region: str | None, profile: str | None) -> Any:
    import boto3
    from botocore.config import Config

    if region is None and not os.environ.get("AWS_DEFAULT_REGION"):
        region = os.environ.get("AWS_REGION") or None  # what the AWS CLI v2 also reads
    retries: dict[str, Any] = {"mode": "standard"}
    if not os.environ.get("AWS_MAX_ATTEMPTS"):  # the user's own setting wins
        retries["max_attempts"] = 5
    config = Config(retries=retries, connect_timeout=5, read_timeout=30)
    session = boto3.session.Session(profile_name=profile, region_name=region)
    return session.client("cloudformation", config=config)


def load_with_client(
    client: Any, names: Sequence[str], *, all_stacks: bool, limits: Limits
) -> StackLoad:
    out = StackLoad()
    with tempfile.TemporaryDirectory(prefix="iacscan-stack-") as tmp:
        # SAM's local paths (CodeUri: ./src) mean nothing for a deployed stack: an empty folder
        _Loader(client, limits, out, Path(tmp)).run(names, all_stacks)
    return out


class _Loader:
    def __init__(self, client: Any, limits: Limits, out: StackLoad, base_dir: Path) -> None:
        self.client = client
        self.limits = limits
        self.out = out
        self.base_dir = base_dir
        self.region: str | None = getattr(getattr(client, "meta", None), "region_name", None)
        self.fatal: FetchError | None = None
        self.loaded: dict[str, str] = {}  # StackId -> template stack name
        self.imports: dict[str, str] = {}  # export name -> first importing stack

    # ------------------------------------------------------------------ inputs

    def run(self, names: Sequence[str], all_stacks: bool) -> None:
        labels = list(dict.fromkeys(names))
        if all_stacks:
            try:
                listed = self.root_stacks()
            except FetchError as err:
                self.fail("*", err)
                listed = []
            else:
                if not listed:
                    self.out.notes.append(f"--all-stacks: no deployed stacks in {self.region}")
            labels += [n for n in listed if n not in labels]
        for name in labels:
            self.load_input(name)
        self.load_exporters()

    def load_input(self, name: str) -> None:
        label = f"stack:{name}"
        if not name.strip():
            self.out.errors.append(
                InputError(
                    file=label,
                    line=None,
                    kind="parse",
                    message="no stack name",
                    hint="write stack:NAME, or use --all-stacks",
                )
            )
            return
        if self.fatal is not None:
            self.out.errors.append(_input_error(self.fatal, label))
            return
        try:
            templates = self.load_stack(name)
        except FetchError as err:
            self.fail(name, err)
            return
        except IacscanError as err:
            self.out.errors.append(_input_error(err, label))
            return
        if not templates:
            self.out.notes.append(f"{label} names a stack that is already in scope")
            return
        self.out.templates.extend(templates)
        self.out.inputs.append(
            InputInfo(path=label, kind="stack", stacks=tuple(t.stack for t in templates))
        )

    def fail(self, name: str, err: FetchError) -> None:
        self.out.errors.append(_input_error(err, f"stack:{name}"))
        if err.fatal:
            self.fatal = err

    # ------------------------------------------------------------------ one stack

    def load_stack(
        self,
        ref: str,
        *,
        as_name: str | None = None,
        passed: Mapping[str, Any] | None = None,
        depth: int = 0,
    ) -> list[Template]:
        """A stack (name or ARN) and its nested stacks. ``as_name``: a nested stack's
        "Parent/NestedLogicalId"; ``passed``: the Parameters its parent's template gives it."""
        desc = self.describe(ref)
        stack_id = str(desc.get("StackId", ref))
        real_name = str(desc.get("StackName", ref))
        if stack_id in self.loaded:
            return []
        stack = as_name or real_name
        file = f"stack:{stack}"
        data = self.template_data(stack_id, "Original", file)
        template = self.build(data, desc, stack, file, passed, as_name)
        self.loaded[stack_id] = stack
        actual = _actual_parameters(desc, template.parameters)
        names, unknown = imported_names(template, StackContext(real_name, stack_id, actual))
        for n in sorted(names):
            self.imports.setdefault(n, stack)
        if unknown:
            self.out.notes.append(
                f"{file}: {unknown} Fn::ImportValue name(s) are computed in ways iacscan does not "
                "evaluate; the exporting stacks are not loaded for them"
            )
        out = [template]
        if any(r.type == "AWS::CloudFormation::Stack" for r in template.resources.values()):
            out.extend(self.load_nested(template, stack_id, depth))
        return out

    def build(
        self,
        data: Mapping[str, Any],
        desc: Mapping[str, Any],
        stack: str,
        file: str,
        passed: Mapping[str, Any] | None,
        parent: str | None,
    ) -> Template:
        stack_id = str(desc.get("StackId"))
        if is_sam(data) and _transforms(data) <= _LOCAL_TRANSFORMS:
            from iacscan.load.sam import transform_sam

            actual = _actual_parameters(desc, data.get("Parameters"))
            try:
                t = transform_sam(
                    data,
                    file=file,
                    stack=stack,
                    base_dir=self.base_dir,
                    limits=self.limits,
                    parameter_values=actual,
                )
            except IacscanError as err:
                self.out.notes.append(
                    f"{file}: the SAM template could not be transformed here ({err.message}); "
                    "read the template CloudFormation processed instead"
                )
            else:
                values = _with_passed(actual, passed)
                return replace(t, kind="stack", file=file, parent=parent, parameter_values=values)
            data = self.template_data(stack_id, "Processed", file)
        elif _transforms(data) or _has_fn_transform(data):
            data = self.template_data(stack_id, "Processed", file)
        values = _with_passed(_actual_parameters(desc, data.get("Parameters")), passed)
        return template_from_data(
            data, file=file, stack=stack, kind="stack", parent=parent, parameter_values=values
        )

    def load_nested(self, template: Template, stack_id: str, depth: int) -> list[Template]:
        out: list[Template] = []
        for lid, physical in self.nested_stacks(stack_id):
            name = f"{template.stack}/{lid}"
            res = template.resources.get(lid)
            passed = res.properties.get("Parameters") if res is not None else None
            try:
                if depth + 1 > MAX_NESTING:
                    raise LimitError(
                        f"nested stacks deeper than {MAX_NESTING} levels",
                        "scan the inner stacks by name (stack:NAME)",
                    )
                out.extend(
                    self.load_stack(
                        physical,
                        as_name=name,
                        passed=passed if isinstance(passed, Mapping) else None,
                        depth=depth + 1,
                    )
                )
            except FetchError as err:
                if err.fatal:
                    raise
                self.out.errors.append(_input_error(err, f"stack:{name}"))
            except IacscanError as err:
                self.out.errors.append(_input_error(err, f"stack:{name}"))
        return out

    # ------------------------------------------------------------------ exports

    def load_exporters(self) -> None:
        """Bring into scope the stacks whose exports the loaded stacks import."""
        if not self.imports or self.fatal is not None:
            return
        try:
            self.out.exports = self.list_exports()
        except FetchError as err:
            self.out.notes.append(
                f"cannot list the region's exports, so Fn::ImportValue stays unresolved: "
                f"{err.message} ({err.hint})"
            )
            return
        done: set[str] = set()
        added = 0
        while pending := [n for n in self.imports if n not in done]:
            for name in pending:
                done.add(name)
                export = self.out.exports.get(name)
                importer = self.imports[name]
                if export is None:
                    self.out.notes.append(
                        f"stack:{importer} imports {name}, which no stack in {self.region} exports"
                    )
                    continue
                if export.stack_id in self.loaded:
                    continue
                if added >= MAX_EXPORTING_STACKS:
                    self.out.notes.append(
                        f"more than {MAX_EXPORTING_STACKS} exporting stacks: {name} stays "
                        "unresolved; scan its stack by name"
                    )
                    continue
                added += 1
                self.load_exporter(export, importer)

    def load_exporter(self, export: StackExport, importer: str) -> None:
        try:
            templates = self.load_stack(export.stack_id)
        except IacscanError as err:
            self.out.notes.append(
                f"stack:{importer} imports {export.name} from {export.stack_id}, which cannot be "
                f"read: {err.message} ({err.hint})"
            )
            return
        if not templates:
            return
        self.out.templates.extend(templates)
        self.out.inputs.append(
            InputInfo(
                path=f"stack:{templates[0].stack}",
                kind="stack",
                stacks=tuple(t.stack for t in templates),
            )
        )
        self.out.notes.append(
            f"stack:{templates[0].stack} is in scope too: stack:{importer} imports its export "
            f"{export.name}"
        )

    # ------------------------------------------------------------------ AWS calls

    def call(self, stack: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(**kwargs)
        except Exception as err:
            raise _as_fetch_error(err, stack=stack, region=self.region) from None

    def pages(self, stack: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        try:
            for page in self.client.get_paginator(operation).paginate(**kwargs):
                items.extend(page.get(key) or [])
        except Exception as err:
            raise _as_fetch_error(err, stack=stack, region=self.region) from None
        return items

    def describe(self, ref: str) -> Mapping[str, Any]:
        stacks = self.call(ref, "describe_stacks", StackName=ref).get("Stacks") or []
        if not stacks:
            raise FetchError(
                f"stack {ref} does not exist in {self.region}", "check the name and --region"
            )
        first = stacks[0]
        return first if isinstance(first, Mapping) else {}

    def template_data(self, stack_id: str, stage: str, file: str) -> Mapping[str, Any]:
        resp = self.call(stack_id, "get_template", StackName=stack_id, TemplateStage=stage)
        body = resp.get("TemplateBody")
        if isinstance(body, Mapping):  # botocore decodes JSON bodies itself (no lines then)
            check_depth(body, file, self.limits)
            return body
        if isinstance(body, str):
            if len(body.encode("utf-8")) > self.limits.max_file_size:
                raise LimitError(
                    f"the template is over the {self.limits.max_file_size:,}-byte limit",
                    "raise the limit with --max-file-size BYTES if this template is genuine",
                    file=file,
                )
            return decode_text(body, file, self.limits)
        raise InputParseError(
            f"GetTemplate returned no {stage} template", "check the stack's status", file=file
        )

    def nested_stacks(self, stack_id: str) -> list[tuple[str, str]]:
        found = []
        for r in self.pages(
            stack_id, "list_stack_resources", "StackResourceSummaries", StackName=stack_id
        ):
            physical = r.get("PhysicalResourceId")
            status = str(r.get("ResourceStatus", ""))
            if (
                r.get("ResourceType") == "AWS::CloudFormation::Stack"
                and physical
                and not status.startswith("DELETE")
            ):
                found.append((str(r.get("LogicalResourceId")), str(physical)))
        return found

    def root_stacks(self) -> list[str]:
        names: list[str] = []
        for s in self.pages("*", "list_stacks", "StackSummaries"):
            if s.get("StackStatus") in _SKIPPED_STATUSES or s.get("ParentId"):
                continue
            name = s.get("StackName")
            if isinstance(name, str) and name not in names:
                names.append(name)
        return names

    def list_exports(self) -> dict[str, StackExport]:
        exports: dict[str, StackExport] = {}
        for e in self.pages("*", "list_exports", "Exports"):
            name, value, stack_id = e.get("Name"), e.get("Value"), e.get("ExportingStackId")
            if isinstance(name, str) and isinstance(value, str) and isinstance(stack_id, str):
                exports[name] = StackExport(name=name, value=value, stack_id=stack_id)
        return exports


# ---------------------------------------------------------------------- helpers


def _as_fetch_error(err: Exception, *, stack: str, region: str | None) -> FetchError:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(err, FetchError):
        return err
    if isinstance(err, (BotoCoreError, ClientError)):
        return aws_error(err, stack=stack, region=region)
    raise err  # not botocore's: a bug, for the CLI's internal-error path


def _input_error(err: IacscanError, file: str) -> InputError:
    kind = err.kind if err.kind in ("parse", "limit", "aws", "unsupported") else "aws"
    return InputError(
        file=file if err.kind == "aws" or not err.file else err.file,
        line=err.line,
        kind=kind,  # type: ignore[arg-type]
        message=err.message,
        hint=err.hint,
    )


def _transforms(data: Mapping[str, Any]) -> set[str]:
    transform = data.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return {n for n in names if isinstance(n, str)} | {
        str(n.get("Name")) for n in names if isinstance(n, Mapping)
    }


def _has_fn_transform(data: Mapping[str, Any]) -> bool:
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if "Fn::Transform" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _with_passed(actual: Mapping[str, Any], passed: Mapping[str, Any] | None) -> dict[str, Any]:
    """A value the parent passes as an intrinsic (Ref Queue, GetAtt X.Arn) keeps pointing at
    the resource in scope; the deployed value is only the resource's physical name."""
    intrinsic = {k: v for k, v in (passed or {}).items() if isinstance(v, Mapping)}
    return {**actual, **intrinsic}


def _actual_parameters(desc: Mapping[str, Any], declared: object) -> dict[str, Any]:
    """DescribeStacks' parameter values (SSM ones resolved), lists split, NoEcho ones left out."""
    specs = declared if isinstance(declared, Mapping) else {}
    values: dict[str, Any] = {}
    for p in desc.get("Parameters") or []:
        key = p.get("ParameterKey")
        value = p.get("ResolvedValue", p.get("ParameterValue"))
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        spec = specs.get(key)
        spec = spec if isinstance(spec, Mapping) else {}
        if value == "****" or str(spec.get("NoEcho", "")).lower() == "true":
            continue  # masked by CloudFormation
        ptype = str(spec.get("Type", ""))
        if "List<" in ptype or "CommaDelimitedList" in ptype:
            values[key] = [s.strip() for s in value.split(",")] if value else []
        else:
            values[key] = value
    return values
