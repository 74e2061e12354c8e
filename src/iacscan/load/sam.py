"""SAM templates through aws-sam-translator, fully offline, with origins and line numbers kept.

- No AWS call: managed policy names resolve from the map bundled with the translator; the
  Serverless Application Repository is never asked (applications become nested stacks first);
  the region the translator insists on is given as a session stub, and the pseudo parameters
  as CloudFormation placeholders the translator leaves alone, so ``Ref AWS::Region`` survives.
- Every generated resource gets ``origin`` (the SAM logical id that produced it) and that
  resource's line; resources the user wrote keep their decoded values where unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from iacscan.errors import InputParseError, LimitError
from iacscan.load import recursion
from iacscan.load.cfn import Limits, template_from_data
from iacscan.load.language_extensions import expand_language_extensions, has_language_extensions
from iacscan.load.macros import template_macros
from iacscan.load.sam_cache import SamCache
from iacscan.load.sam_origins import OriginFinder, error_line, graft, mark_sources, take_marker
from iacscan.load.sam_prepare import Prepared, plain, prepare, restore_local_paths
from iacscan.model import Template, line_of

# Stand-ins the translator's resolver leaves untouched (CloudFormation's own placeholder form).
_PSEUDO_PLACEHOLDERS = {
    "AWS::Region": "{{IntrinsicFunction:iacscan/AWS::Region}}",
    "AWS::Partition": "{{IntrinsicFunction:iacscan/AWS::Partition}}",
}
_HINT = "fix the SAM template (`sam validate --lint` reports the same problems)"


class _OfflineSession:
    """What the translator reads from a boto3 session: only the region, for the partition."""

    region_name = "us-east-1"


class _NoFeatureToggles:
    """The translator's defaults, without its warning for every feature it looks up."""

    def is_enabled(self, feature_name: str) -> bool:
        return False


def _no_sar_client() -> Any:
    raise RuntimeError("iacscan works offline: the Serverless Application Repository is not asked")


def transform_sam(
    data: Mapping[str, Any],
    *,
    file: str,
    stack: str,
    base_dir: Path,
    limits: Limits,
    parameter_values: Mapping[str, Any] | None = None,
    cache: SamCache | None = None,
) -> Template:
    """Expand a SAM template into the CloudFormation ``Template`` it deploys as.

    With ``cache``, the translator's output is looked up by content first (``load/sam_cache.py``)
    and stored after a translation; origins and lines are rebuilt the same way either way."""
    if has_language_extensions(data):
        data = expand_language_extensions(data, file=file, parameter_values=parameter_values)
    original = data.get("Resources")
    if not isinstance(original, Mapping):
        # the plain loader words this error; it raises on a template without Resources
        return template_from_data(data, file=file, stack=stack, kind="sam")
    prepared = prepare(data, base_dir=base_dir, limits=limits, file=file)
    mark_sources(prepared.template.get("Resources") or {})
    hint = _HINT
    if prepared.unread:
        hint += "; these local files it names could not be read: " + ", ".join(prepared.unread)
    output = _translate(
        prepared.template,
        parameter_values or {},
        file=file,
        original=original,
        hint=hint,
        cache=cache,
    )
    return _assemble(
        data, output, prepared, file=file, stack=stack, parameter_values=parameter_values
    )


def _translate(
    template: dict[str, Any],
    parameter_values: Mapping[str, Any],
    *,
    file: str,
    original: Mapping[str, Any],
    hint: str,
    cache: SamCache | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {**_PSEUDO_PLACEHOLDERS, **plain(dict(parameter_values))}
    key = cache.key(template, values) if cache is not None else None
    if cache is not None and key is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    output = _run_translator(template, values, file=file, original=original, hint=hint)
    if cache is not None and key is not None:
        cache.put(key, output, from_json=True)
    return output


def _run_translator(
    template: dict[str, Any],
    values: dict[str, Any],
    *,
    file: str,
    original: Mapping[str, Any],
    hint: str,
) -> dict[str, Any]:
    from iacscan.load.sam_import import import_translator

    import_translator()  # boto3, botocore and jsonschema deferred until something uses them
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    recursion.hold()  # one limit for the process: see load/recursion.py
    try:
        to_py27_compatible_template(template, values)
        translator = Translator(
            None,
            Parser(),
            plugins=[ServerlessAppPlugin(sar_client_creator=_no_sar_client)],
            boto_session=_OfflineSession(),
        )
        try:
            output = translator.translate(
                template,
                parameter_values=values,
                feature_toggle=_NoFeatureToggles(),
                passthrough_metadata=True,
                get_managed_policy_map=dict,
            )
        finally:
            translator.metrics.publish()  # a no-op publisher; avoids "unpublished metrics"
        result: dict[str, Any] = undo_mark_unicode_str_in_template(output)
        return result
    except InvalidDocumentException as err:
        causes = [c.message for c in err.causes] or [err.message]
        raise InputParseError(
            "the SAM translator rejected the template: " + " | ".join(causes),
            hint,
            file=file,
            line=error_line(causes, original),
        ) from None
    except ExceptionWithMessage as err:
        raise InputParseError(
            f"the SAM translator rejected the template: {err.message}",
            hint,
            file=file,
            line=error_line([err.message], original),
        ) from None
    except RecursionError:
        raise LimitError(
            "the SAM translator ran out of stack on this template",
            "the template is nested too deeply; lower its nesting or raise --max-depth",
            file=file,
        ) from None
    except Exception as err:  # the translator's own bugs or unexpected input: never a traceback
        raise InputParseError(
            f"the SAM translator failed: {type(err).__name__}: {_first_line(str(err))}",
            "check the SAM resources' property types; report it to iacscan if the template "
            "deploys with `sam deploy`",
            file=file,
        ) from None
    finally:
        recursion.release()


def _assemble(
    data: Mapping[str, Any],
    output: dict[str, Any],
    prepared: Prepared,
    *,
    file: str,
    stack: str,
    parameter_values: Mapping[str, Any] | None,
) -> Template:
    original: Mapping[str, Any] = data["Resources"]
    resources = output.get("Resources")
    if not isinstance(resources, dict):
        resources = {}
    restore_local_paths(resources, prepared.local_paths)
    finder = OriginFinder(original)
    origins: dict[str, str] = {}
    lines: dict[str, int] = {}
    merged: dict[Any, Any] = {}
    keys = {k: k for k in original}
    for lid, body in resources.items():
        source = take_marker(body, original) if isinstance(body, dict) else None
        user_body = original.get(lid)
        if lid in prepared.applications:
            source = lid
        elif source is None and user_body is None:
            source = finder.origin(lid)
        if source is not None:
            origins[lid] = source
            line = line_of(original.get(source)) or line_of(keys.get(source))
            if line:
                lines[lid] = line
        if user_body is not None:
            merged[keys.get(lid, lid)] = graft(body, user_body)
        elif (
            source is not None
            and isinstance(body, dict)
            and isinstance(original.get(source), Mapping)
        ):
            merged[lid] = _graft_properties(body, original[source])
        else:
            merged[lid] = body
    cfn = {k: graft(v, data.get(k)) for k, v in output.items() if k != "Resources"}
    cfn["Resources"] = _in_file_order(merged, original, origins)
    template = template_from_data(
        cfn,
        file=file,
        stack=stack,
        kind="sam",
        parameter_values=parameter_values,
        origins=origins,
        lines=lines,
    )
    # the translator's output has no Transform section: the macros besides SAM are read here
    macros = template_macros(data) + template.macros
    return replace(template, attachments=dict(prepared.attachments), macros=macros)


def _in_file_order(
    resources: dict[Any, Any], original: Mapping[str, Any], origins: Mapping[str, str]
) -> dict[Any, Any]:
    """The user's resources in file order, each followed by what SAM generated from it."""
    position = {str(k): i for i, k in enumerate(original)}

    def key(lid: Any) -> tuple[int, int]:
        anchor = str(lid) if str(lid) in position else origins.get(str(lid), "")
        return position.get(anchor, len(position)), 0 if anchor == str(lid) else 1

    return {lid: resources[lid] for lid in sorted(resources, key=key)}


def _graft_properties(body: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the SAM resource's decoded values for properties copied unchanged (Handler...)."""
    props, user_props = body.get("Properties"), source.get("Properties")
    if isinstance(props, dict) and isinstance(user_props, Mapping):
        body = dict(body)
        body["Properties"] = {
            k: graft(v, user_props[k]) if k in user_props else v for k, v in props.items()
        }
    return body


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "no message"
