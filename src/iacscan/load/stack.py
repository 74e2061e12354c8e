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
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from iacscan.errors import IacscanError, LimitError
from iacscan.load.aws_errors import FetchError
from iacscan.load.cfn import SAM_TRANSFORM, Limits, is_sam, template_from_data
from iacscan.load.stack_calls import CloudFormation, StackExport, as_fetch_error
from iacscan.load.stack_values import (
    StackContext,
    actual_parameters,
    has_fn_transform,
    imported_names,
    passed_references,
    transforms,
    with_passed,
)
from iacscan.model import InputError, InputInfo, Template

__all__ = ["StackExport", "StackLoad", "load_stacks", "load_with_client", "make_client"]

MAX_NESTING = 10
MAX_EXPORTING_STACKS = 50
_LOCAL_TRANSFORMS = {SAM_TRANSFORM, "AWS::LanguageExtensions"}

# A stack name (CloudFormation's rule) or a stack ARN: anything else never reaches boto3.
_STACK_NAME = re.compile(
    r"[A-Za-z][-A-Za-z0-9]{0,127}"
    r"|arn:aws[-a-z]*:cloudformation:[-a-z0-9]+:[0-9]{12}:stack/[A-Za-z][-A-Za-z0-9]{0,127}/[-A-Za-z0-9]+"
)


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
        failure = as_fetch_error(err, stack="", region=region)
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
        self.aws = CloudFormation(client, limits)
        self.limits = limits
        self.out = out
        self.base_dir = base_dir
        self.region = self.aws.region
        self.fatal: FetchError | None = None
        self.loaded: dict[str, str] = {}  # StackId -> template stack name
        self.imports: dict[str, str] = {}  # export name -> first importing stack

    # ------------------------------------------------------------------ inputs

    def run(self, names: Sequence[str], all_stacks: bool) -> None:
        labels = list(dict.fromkeys(names))
        if all_stacks:
            try:
                listed = self.aws.root_stacks()
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
        if not _STACK_NAME.fullmatch(name):
            shown = name[:160].encode("ascii", "backslashreplace").decode("ascii")
            self.out.errors.append(
                InputError(
                    file=f"stack:{shown}",
                    line=None,
                    kind="parse",
                    message="not a CloudFormation stack name or stack ARN",
                    hint="a stack name is a letter then up to 127 letters, digits and hyphens",
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
        desc = self.aws.describe(ref)
        stack_id = str(desc.get("StackId", ref))
        real_name = str(desc.get("StackName", ref))
        if stack_id in self.loaded:
            return []
        stack = as_name or real_name
        file = f"stack:{stack}"
        data = self.aws.template_data(stack_id, "Original", file)
        template = self.build(data, desc, stack, file, passed, as_name)
        self.loaded[stack_id] = stack
        actual = actual_parameters(desc, template.parameters)
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
        if is_sam(data) and transforms(data) <= _LOCAL_TRANSFORMS:
            from iacscan.load.sam import transform_sam

            actual = actual_parameters(desc, data.get("Parameters"))
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
                values = with_passed(actual, passed)
                return replace(t, kind="stack", file=file, parent=parent, parameter_values=values)
            data = self.aws.template_data(stack_id, "Processed", file)
        elif transforms(data) or has_fn_transform(data):
            data = self.aws.template_data(stack_id, "Processed", file)
        values = with_passed(actual_parameters(desc, data.get("Parameters")), passed)
        return template_from_data(
            data, file=file, stack=stack, kind="stack", parent=parent, parameter_values=values
        )

    def load_nested(self, template: Template, stack_id: str, depth: int) -> list[Template]:
        out: list[Template] = []
        for lid, physical in self.aws.nested_stacks(stack_id):
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
                        passed=passed_references(passed, template.resources),
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
            self.out.exports = self.aws.list_exports()
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


# ---------------------------------------------------------------------- helpers


def _input_error(err: IacscanError, file: str) -> InputError:
    kind = err.kind if err.kind in ("parse", "limit", "aws", "unsupported") else "aws"
    return InputError(
        file=file if err.kind == "aws" or not err.file else err.file,
        line=err.line,
        kind=kind,  # type: ignore[arg-type]
        message=err.message,
        hint=err.hint,
    )
