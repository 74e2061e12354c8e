"""CloudFormation YAML/JSON through cfn-lint's decoder, which keeps line numbers and short tags.

Everything here raises ``IacscanError`` subclasses with the file and line; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iacscan.errors import InputParseError, LimitError
from iacscan.load import recursion
from iacscan.load.macros import FN_TRANSFORM, fragment_macros, template_macros
from iacscan.model import InputKind, Resource, Template, line_of

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on hostile input. Each one names the flag that changes it."""

    max_file_size: int = 20 * 1024 * 1024  # --max-file-size
    max_depth: int = 200  # --max-depth
    synth_timeout: float = 300.0  # --synth-timeout
    max_definition_size: int = 2 * 1024 * 1024  # Step Functions definitions, in characters


DEFAULT_LIMITS = Limits()


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a template file as text, refusing what is too big, binary or not text."""
    from iacscan.load.confine import check_regular

    file = str(path)
    size = check_regular(path, file=file).st_size  # no FIFO, device or /proc file
    if size > limits.max_file_size:
        raise LimitError(
            f"file is {size:,} bytes, over the {limits.max_file_size:,}-byte limit",
            "raise the limit with --max-file-size BYTES if this template is genuine",
            file=file,
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_file_size + 1)  # a file that grows meanwhile
    except OSError as err:
        raise unreadable(err, file) from None
    if len(data) > limits.max_file_size:
        raise LimitError(
            f"file is over the {limits.max_file_size:,}-byte limit",
            "raise the limit with --max-file-size BYTES if this template is genuine",
            file=file,
        )
    return decode_bytes(data, file)


def decode_bytes(data: bytes, file: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:8192]:
        raise InputParseError(
            "this is a binary file, not a CloudFormation template",
            "pass a YAML or JSON template, or remove the file from the scanned paths",
            file=file,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputParseError(
            f"invalid UTF-8 at byte {err.start}",
            "save the template as UTF-8",
            file=file,
            line=line,
        ) from None


def decode_text(
    text: str, file: str, limits: Limits = DEFAULT_LIMITS, warnings: list[str] | None = None
) -> Mapping[str, Any]:
    """Decode YAML or JSON text into mappings that carry ``start_mark`` line numbers.

    With a ``warnings`` list, a repeated key is tolerated as CloudFormation tolerates it (the
    last value wins) and said there with its line; without, it is a parse error. Which parse
    problems are fatal, and why: docs/parse-problems.md.

    ``load.fast_decode`` reproduces cfn-lint's decoder (values, short tags, marks, duplicate-key
    and alias guards; tests/test_fast_decode.py compares the two on every corpus template) on
    libyaml, without the second of imports that ``cfnlint.decode`` costs.
    """
    import yaml

    from iacscan.load.fast_decode import (
        AliasExpansionError,
        DecodeError,
        DuplicateKeyError,
        NestingError,
        decode_fast,
    )

    if not text.strip():
        raise InputParseError(
            "the file is empty",
            "a CloudFormation template needs at least a Resources section",
            file=file,
        )
    recursion.hold()  # one limit for the process: see load/recursion.py
    try:
        duplicates: list[tuple[str, int, int]] | None = [] if warnings is not None else None
        template = decode_fast(text, duplicates)
    except AliasExpansionError as err:
        raise LimitError(
            f"cannot read the template: {err.message}",
            "YAML aliases may expand to at most 250,000 values (a guard against alias "
            "bombs that no flag lifts): write the values out, or alias less",
            file=file,
            line=None,  # the guard measures the whole template: no line
        ) from None
    except (NestingError, RecursionError) as err:
        raise LimitError(
            "cannot read the template: values are nested too deeply"
            + (f" ({err.message})" if isinstance(err, DecodeError) else ""),
            f"templates nested deeper than --max-depth {limits.max_depth} are refused, "
            "and the YAML/JSON parser stops far below this one's nesting; "
            "no genuine template nests this deep",
            file=file,
            line=err.line if isinstance(err, DecodeError) else None,
        ) from None
    except DuplicateKeyError as err:
        raise InputParseError(
            f"cannot parse the template: {err.message}",
            "remove one of the duplicate keys: cfn-lint and some AWS CLI versions reject a "
            "repeated key (CloudFormation itself keeps the last value)",
            file=file,
            line=err.line,
        ) from None
    except DecodeError as err:
        raise InputParseError(
            f"cannot parse the template: {_first_line(err.message)}",
            "fix the YAML/JSON syntax at that line",
            file=file,
            line=err.line,
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        raise InputParseError(
            f"cannot parse the template: {_first_line(str(problem))}",
            "fix the YAML/JSON syntax at that line",
            file=file,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    finally:
        recursion.release()
    if not isinstance(template, Mapping):
        raise InputParseError(
            f"the top level is {_kind_of(template)}, not a mapping",
            "a CloudFormation template is a mapping with a Resources section",
            file=file,
        )
    check_depth(template, file, limits)
    if warnings is not None and duplicates:
        warnings.extend(_duplicate_warning(file, d) for d in sorted(set(duplicates), key=_by_line))
    return template


def _by_line(duplicate: tuple[str, int, int]) -> int:
    return duplicate[1]


def _duplicate_warning(file: str, duplicate: tuple[str, int, int]) -> str:
    key, line, first = duplicate
    return (
        f"{file}:{line}: key {key!r} repeats the one at line {first}; analysed with the last "
        "value, as CloudFormation deploys it (cfn-lint and some AWS CLI versions reject the "
        "template: remove one of them)"
    )


def check_depth(value: object, file: str, limits: Limits) -> None:
    """Refuse values nested deeper than ``limits.max_depth`` (iteratively: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limits.max_depth:
            raise LimitError(
                f"values are nested more than {limits.max_depth} levels deep",
                "raise the limit with --max-depth N if this template is genuine",
                file=file,
                line=line_of(item),
            )
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def is_sam(data: Mapping[str, Any]) -> bool:
    transform = data.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return any(isinstance(n, str) and n == SAM_TRANSFORM for n in names)


def looks_like_template(data: object) -> bool:
    """Content test used to find templates in folders."""
    return isinstance(data, Mapping) and (
        isinstance(data.get("Resources"), Mapping) or "AWSTemplateFormatVersion" in data
    )


def template_from_data(
    data: Mapping[str, Any],
    *,
    file: str,
    stack: str,
    kind: InputKind = "template",
    parent: str | None = None,
    parameter_values: Mapping[str, Any] | None = None,
    origins: Mapping[str, str] | None = None,
    lines: Mapping[str, int] | None = None,
) -> Template:
    """Check the shape of a decoded template and build the model's ``Template``."""
    resources_raw = data.get("Resources")
    if not isinstance(resources_raw, Mapping):
        raise InputParseError(
            "the template has no Resources mapping"
            if resources_raw is None
            else f"Resources is a {type(resources_raw).__name__}, not a mapping",
            "a CloudFormation template needs a Resources section mapping logical ids to resources",
            file=file,
            line=line_of(resources_raw) or line_of(data),
        )
    macros = template_macros(data)
    resources: dict[str, Resource] = {}
    for key, body in resources_raw.items():
        lid = str(key)
        line = line_of(body) or line_of(key) or (lines or {}).get(lid)
        if lid == FN_TRANSFORM:  # a snippet (AWS::Include) or macro that adds resources: unseen
            macros += fragment_macros(body, line)
            continue
        if not isinstance(body, Mapping):
            raise InputParseError(
                f"resource {lid} is not a mapping",
                "each resource needs Type and (usually) Properties",
                file=file,
                line=line,
            )
        rtype = body.get("Type")
        if isinstance(rtype, Mapping) and any("Rain::" in str(k) for k in rtype):
            raise InputParseError(
                f"resource {lid} is a Rain module (Type: Rain::Module), not a CloudFormation type",
                "package the template with `rain pkg` and scan the packaged output",
                file=file,
                line=line,
            )
        if not isinstance(rtype, str) or not rtype:
            raise InputParseError(
                f"resource {lid} has no Type"
                if rtype is None
                else f"resource {lid} has a Type that is not a string",
                _type_hint(str(lid)),
                file=file,
                line=line,
            )
        props = body.get("Properties") or {}
        if not isinstance(props, Mapping):
            raise InputParseError(
                f"Properties of {lid} is not a mapping",
                "Properties must map property names to values",
                file=file,
                line=line_of(props) or line,
            )
        metadata = body.get("Metadata") or {}
        cdk_path = metadata.get("aws:cdk:path") if isinstance(metadata, Mapping) else None
        condition = body.get("Condition")
        resources[lid] = Resource(
            logical_id=lid,
            type=str(rtype),
            properties=props,
            line=line,
            metadata=metadata if isinstance(metadata, Mapping) else {},
            condition=condition if isinstance(condition, str) else None,
            cdk_path=cdk_path if isinstance(cdk_path, str) else None,
            origin=(origins or {}).get(lid),
        )
    return Template(
        stack=stack,
        file=file,
        kind=kind,
        resources=resources,
        parameters=_mapping(data.get("Parameters")),
        parameter_values=dict(parameter_values or {}),
        conditions=_mapping(data.get("Conditions")),
        mappings=_mapping(data.get("Mappings")),
        outputs=_mapping(data.get("Outputs")),
        parent=parent,
        macros=macros,
    )


# The type a logical id's ending suggests, for the hint of a resource without a Type.
_NAMED_TYPES = (
    ("Role", "AWS::IAM::Role"),
    ("Policy", "AWS::IAM::Policy"),
    ("Function", "AWS::Lambda::Function"),
    ("Queue", "AWS::SQS::Queue"),
    ("Topic", "AWS::SNS::Topic"),
    ("Bucket", "AWS::S3::Bucket"),
    ("Table", "AWS::DynamoDB::Table"),
)


def _type_hint(lid: str) -> str:
    """What to do about a resource without a Type: a template fragment (one a tool such as
    chalice merges into a template) is no template to scan; a template needs the type."""
    guess = next((t for end, t in _NAMED_TYPES if lid.endswith(end)), None)
    example = f"its Type ({guess}?)" if guess else "a Type such as AWS::Lambda::Function"
    return (
        f"add {example}; if the file is a fragment another tool merges into a template, scan "
        "the template it makes instead"
    )


def unreadable(err: OSError, file: str) -> InputParseError:
    """The error for a file the system would not let iacscan read."""
    return InputParseError(
        f"cannot read the file: {err.strerror or err}",
        "check the path and its permissions",
        file=file,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "unknown error"


def _kind_of(value: Any) -> str:
    """What a YAML/JSON value is, in words (not the decoder's class name)."""
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"
