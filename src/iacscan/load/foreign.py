"""Recognise infrastructure files that are not CloudFormation (Terraform, Kubernetes...), so
that the error says what the file is and what iacscan reads, instead of a YAML parse error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

READS = (
    "iacscan reads CloudFormation and SAM templates (YAML or JSON with a Resources section), "
    "CDK apps (a folder with cdk.json), cdk.out folders and deployed stacks (stack:NAME)"
)
_HCL = re.compile(
    r'^\s*(resource|data|provider|terraform|module|variable|output|locals)\s*("[^"]*"\s*)*\{',
    re.MULTILINE,
)
# Words a CloudFormation template cannot do without (a template that does not parse still has them)
_CFN_MARKERS = re.compile(
    r"AWSTemplateFormatVersion|[\"']?Resources[\"']?\s*:|Type[\"']?\s*:\s*[\"']?AWS::"
)


def recognize_text(path: Path, text: str) -> str | None:
    """What ``text`` is when it is plainly not CloudFormation: checked before decoding (HCL
    does not decode as YAML)."""
    name = path.name.lower()
    if name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json", ".hcl")):
        return "a Terraform file"
    if _HCL.search(text) and not _CFN_MARKERS.search(text):
        return "a Terraform (HCL) file"
    return None


def recognize_data(data: object) -> str | None:
    """What a decoded YAML/JSON document that is not a template is, when recognisable."""
    if not isinstance(data, Mapping):
        return None
    if "apiVersion" in data and "kind" in data:
        return f"a Kubernetes manifest (kind {str(data.get('kind'))[:60]})"
    if "terraform" in data or ("resource" in data and "provider" in data):
        return "a Terraform JSON file"
    if "jobs" in data and ("on" in data or True in data):
        return "a GitHub Actions workflow"
    if "services" in data and not data.get("Resources"):
        return "a Docker Compose file"
    return None


def mentions_cloudformation(text: str) -> bool:
    """Does text that failed to decode still look like a CloudFormation template?"""
    return bool(_CFN_MARKERS.search(text))
