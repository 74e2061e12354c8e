"""Before the SAM translator runs: a plain copy of the template, local files, nested applications.

The translator wants S3 locations where ``sam build``/``sam package`` would have put them. Local
paths (``CodeUri: src/``) are swapped for placeholder S3 URIs here and put back afterwards by
``restore_local_paths``, so the output reads like a CloudFormation template before ``package``:
``Code: src/``, ``BodyS3Location: openapi.yaml``, ``DefinitionS3Location: missing.asl.json``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iacscan.errors import IacscanError
from iacscan.load.cfn import Limits, decode_text
from iacscan.load.confine import confined, roots_of

PLACEHOLDER_BUCKET = "iacscan-local-artifact"
PLACEHOLDER_IMAGE = "iacscan-local-image"
FUNCTION = "AWS::Serverless::Function"
STATE_MACHINE = "AWS::Serverless::StateMachine"
APPLICATION = "AWS::Serverless::Application"

# SAM properties that name a local artifact before packaging, per resource type (and Globals).
_LOCAL_URIS: Mapping[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::WebFunction": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
}
_GLOBAL_SECTIONS: Mapping[str, str] = {
    "Function": "AWS::Serverless::Function",
    "WebFunction": "AWS::Serverless::WebFunction",
    "LayerVersion": "AWS::Serverless::LayerVersion",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
}
# Properties the translator fills from those artifacts, and the keys of their S3 pointers.
_RESTORABLE = {
    "Code": ("S3Bucket", "S3Key"),
    "Content": ("S3Bucket", "S3Key"),
    "BodyS3Location": ("Bucket", "Key"),
    "DefinitionS3Location": ("Bucket", "Key"),
}
_REMOTE_PREFIXES = ("s3://", "https://", "http://", "{{resolve:")
# Properties whose file content is worth keeping for the extractors (OpenAPI, ASL).
_READ_INTO_ATTACHMENTS = {"DefinitionUri"}


def plain(value: Any) -> Any:
    """A deep copy made of builtin types only (the decoder's subclasses and marks dropped)."""
    if isinstance(value, str):  # first: most values are, and the Mapping test is the slow one
        return str.__str__(value)
    if isinstance(value, dict | Mapping):
        return {_plain_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if value is None:
        return None
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def _plain_key(key: object) -> str:
    return str.__str__(key) if isinstance(key, str) else str(plain(key))


def is_local_path(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.startswith(_REMOTE_PREFIXES)


@dataclass
class Prepared:
    """The translator's input and what is needed to undo the placeholders."""

    template: dict[str, Any]
    # placeholder key -> the local path as the user wrote it (decoded value, with its mark)
    local_paths: dict[str, Any] = field(default_factory=dict)
    # local path as written -> decoded file content (state machine and OpenAPI definitions)
    attachments: dict[str, Any] = field(default_factory=dict)
    # logical ids of AWS::Serverless::Application resources turned into nested stacks
    applications: set[str] = field(default_factory=set)
    # local files named by the template that could not be read (missing, too big, not YAML/JSON)
    unread: list[str] = field(default_factory=list)


@dataclass
class _Preparer:
    base_dir: Path
    limits: Limits
    out: Prepared
    file: str = ""  # the template, for errors

    def placeholder(self, original: Any) -> str:
        key = str(len(self.out.local_paths))
        self.out.local_paths[key] = original
        return f"s3://{PLACEHOLDER_BUCKET}/{key}"

    def missing_code(self, props: dict[str, Any], fn_globals: Mapping[str, Any]) -> None:
        """What ``sam build`` fills in: CodeUri defaults to "."; an image is built and pushed."""

        def effective(name: str) -> Any:
            return props.get(name, fn_globals.get(name))

        if effective("PackageType") == "Image":
            image = effective("ImageUri")
            if image is None or image == "":
                key = str(len(self.out.local_paths))
                self.out.local_paths[key] = image
                props["ImageUri"] = f"{PLACEHOLDER_IMAGE}:{key}"
        elif effective("CodeUri") is None and effective("InlineCode") is None:
            props["CodeUri"] = self.placeholder(".")

    def local_uris(self, rtype: str, props: dict[str, Any], original: Mapping[str, Any]) -> None:
        for name in _LOCAL_URIS.get(rtype, ()):
            value = props.get(name)
            if not isinstance(value, str) or not is_local_path(value):
                continue
            if name in _READ_INTO_ATTACHMENTS:
                self.read(value)
            props[name] = self.placeholder(original.get(name, value))

    def state_machine(self, props: dict[str, Any], original: Mapping[str, Any]) -> None:
        uri = props.get("DefinitionUri")
        if "Definition" in props or not isinstance(uri, str) or not is_local_path(uri):
            return
        content = self.read(uri)
        if isinstance(content, Mapping):
            props["Definition"] = plain(content)
            del props["DefinitionUri"]
        else:  # unreadable: the state machine keeps an unresolved local DefinitionS3Location
            props["DefinitionUri"] = self.placeholder(original.get("DefinitionUri", uri))

    def plain_with_includes(self, value: Any) -> Any:
        """``inline_includes(plain(value))`` in one walk: only a mapping with an
        ``Fn::Transform`` key (rare) is copied first and then walked again."""
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, dict | Mapping):
            if "Fn::Transform" in value:  # only a string key can be (plain keys are str(key))
                return self.inline_includes(plain(value))
            return {_plain_key(k): self.plain_with_includes(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.plain_with_includes(v) for v in value]
        return plain(value)

    def inline_includes(self, value: Any) -> Any:
        """Local ``Fn::Transform: AWS::Include`` snippets read in place, as ``sam package`` would
        upload them and CloudFormation would insert them before the SAM transform runs."""
        if isinstance(value, list):
            return [self.inline_includes(v) for v in value]
        if not isinstance(value, dict):
            return value
        content = self._include(value.get("Fn::Transform"))
        if content is not None:
            if len(value) == 1:
                return plain(content)
            if isinstance(content, Mapping):
                rest = {k: v for k, v in value.items() if k != "Fn::Transform"}
                value = {**plain(content), **rest}
        return {k: self.inline_includes(v) for k, v in value.items()}

    def _include(self, spec: Any) -> Any:
        if not isinstance(spec, dict) or spec.get("Name") != "AWS::Include":
            return None
        params = spec.get("Parameters")
        location = params.get("Location") if isinstance(params, dict) else None
        if not isinstance(location, str) or not is_local_path(location):
            return None
        return self.read(location)

    def read(self, uri: str) -> Any:
        """Decode a local definition file next to the template, or None when it cannot be."""
        if uri in self.out.attachments:
            return self.out.attachments[uri]
        content = self._read(uri)
        if content is None and uri not in self.out.unread:
            self.out.unread.append(uri)
        return content

    def _read(self, uri: str) -> Any:
        # Only inside the repository (the template is a pull request's): else an error naming it.
        path = confined(
            self.base_dir,
            uri,
            roots_of(self.base_dir),
            what="the local file",
            file=self.file or str(self.base_dir),
            max_bytes=4 * self.limits.max_definition_size,  # what is read below, no more
        )
        cap = self.limits.max_definition_size
        try:
            if not path.is_file() or path.stat().st_size > 4 * cap:
                return None
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if len(text) > cap:
            return None
        try:
            content = decode_text(text, str(path), self.limits)
        except IacscanError:
            return None
        self.out.attachments[uri] = content
        return content


def prepare(data: Mapping[str, Any], *, base_dir: Path, limits: Limits, file: str = "") -> Prepared:
    """A plain copy of ``data`` the translator can read offline, and how to undo it."""
    out = Prepared(template={})
    prep = _Preparer(base_dir, limits, out, file)
    out.template = template = prep.plain_with_includes(data)
    original_resources = data.get("Resources")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not isinstance(original_resources, Mapping):
        return out
    globals_ = template.get("Globals")
    original_globals = data.get("Globals")
    if isinstance(globals_, dict) and isinstance(original_globals, Mapping):
        for section, section_type in _GLOBAL_SECTIONS.items():
            original_section = original_globals.get(section)
            if isinstance(globals_.get(section), dict) and isinstance(original_section, Mapping):
                prep.local_uris(section_type, globals_[section], original_section)
    fn_globals = globals_.get("Function") if isinstance(globals_, dict) else None
    if not isinstance(fn_globals, dict):
        fn_globals = {}
    for lid, body in resources.items():
        if not isinstance(body, dict):
            continue
        original = original_resources.get(lid)
        original_props = original.get("Properties") if isinstance(original, Mapping) else None
        if not isinstance(original_props, Mapping):
            original_props = {}
        rtype = body.get("Type")
        if rtype == APPLICATION:
            resources[lid] = application_to_stack(body, original_props)
            out.applications.add(lid)
            continue
        props = body.get("Properties")
        if not isinstance(rtype, str) or not isinstance(props, dict):
            continue
        if rtype == STATE_MACHINE:
            prep.state_machine(props, original_props)
        if rtype == FUNCTION:
            prep.missing_code(props, fn_globals)
        prep.local_uris(rtype, props, original_props)
    return out


def application_to_stack(body: Mapping[str, Any], original: Mapping[str, Any]) -> dict[str, Any]:
    """An AWS::Serverless::Application as the AWS::CloudFormation::Stack the loader can follow.

    A local or URL ``Location`` becomes the ``TemplateURL``; a Serverless Application Repository
    application becomes ``sar://<ApplicationId>@<SemanticVersion>`` (an external node later).
    """
    raw = body.get("Properties")
    props: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    location = props.get("Location")
    url: Any = original.get("Location", location)
    if isinstance(location, Mapping) and "ApplicationId" in location:
        app, version = location.get("ApplicationId"), location.get("SemanticVersion")
        if isinstance(app, str) and isinstance(version, str | None):
            url = f"sar://{app}@{version}" if version else f"sar://{app}"
        else:
            url = {"Fn::Join": ["", ["sar://", app, "@", version if version is not None else ""]]}
    stack_props: dict[str, Any] = {"TemplateURL": url}
    for name in ("Parameters", "NotificationARNs", "TimeoutInMinutes"):
        if name in props:
            stack_props[name] = props[name]
    tags = props.get("Tags")
    if isinstance(tags, Mapping):
        stack_props["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    stack = {k: v for k, v in body.items() if k not in ("Type", "Properties")}
    stack["Type"] = "AWS::CloudFormation::Stack"
    stack["Properties"] = stack_props
    return stack


def restore_local_paths(resources: Mapping[str, Any], local_paths: Mapping[str, Any]) -> None:
    """Put the user's local paths back where the translator wrote placeholder S3 pointers."""
    if not local_paths:
        return
    for body in resources.values():
        props = body.get("Properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            continue
        code = props.get("Code")
        image = code.get("ImageUri") if isinstance(code, Mapping) else None
        if isinstance(image, str) and image.startswith(PLACEHOLDER_IMAGE + ":"):
            original = local_paths.get(image.partition(":")[2])
            props["Code"] = {"ImageUri": original} if original is not None else {}
        for name, (bucket_key, key_key) in _RESTORABLE.items():
            pointer = props.get(name)
            if (
                isinstance(pointer, Mapping)
                and pointer.get(bucket_key) == PLACEHOLDER_BUCKET
                and pointer.get(key_key) in local_paths
            ):
                props[name] = local_paths[pointer[key_key]]
