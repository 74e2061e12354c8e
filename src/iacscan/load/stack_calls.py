"""The CloudFormation calls the deployed-stack loader makes, with botocore's exceptions turned
into ``FetchError``s and every list paginated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from iacscan.errors import InputParseError, LimitError
from iacscan.load.aws_errors import FetchError, aws_error
from iacscan.load.cfn import Limits, check_depth, decode_text

_SKIPPED_STATUSES = {"DELETE_COMPLETE", "REVIEW_IN_PROGRESS"}  # nothing deployed


@dataclass(frozen=True, slots=True)
class StackExport:
    name: str
    value: str
    stack_id: str  # the exporting stack's ARN


class CloudFormation:
    def __init__(self, client: Any, limits: Limits) -> None:
        self.client = client
        self.limits = limits
        self.region: str | None = getattr(getattr(client, "meta", None), "region_name", None)

    def call(self, stack: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(**kwargs)
        except Exception as err:
            raise as_fetch_error(err, stack=stack, region=self.region) from None

    def pages(self, stack: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        items: list[Any] = []
        try:
            for page in self.client.get_paginator(operation).paginate(**kwargs):
                items.extend(page.get(key) or [])
        except Exception as err:
            raise as_fetch_error(err, stack=stack, region=self.region) from None
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


def as_fetch_error(err: Exception, *, stack: str, region: str | None) -> FetchError:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(err, FetchError):
        return err
    if isinstance(err, (BotoCoreError, ClientError)):
        return aws_error(err, stack=stack, region=region)
    raise err  # not botocore's: a bug, for the CLI's internal-error path
