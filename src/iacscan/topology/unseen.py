"""What the scan cannot see, as explicit ``ext:`` nodes marked unknown (issue 13, point 1).

Two kinds:
- values from outside the scope (a parameter without a default, an import no stack in scope
  exports) used as the target of an action, an event target, a subscription or an integration:
  ``ext:parameter BusArn``, ``ext:import shared-bus-arn``, or the ARN text with ``${Name}``
  where the name part is unknown;
- whole stacks that may hide resources: nested stacks whose template is on S3/HTTPS, computed,
  or a Serverless Application Repository application, and templates that failed to load. These
  nodes carry ``may_hide_compute``; classification turns them into an unknown that weakens the
  verdict (levels.py).

Every such node has the properties ``unknown: true`` and ``note``: what to add to the scan to
see it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from iacscan.model import InputError
from iacscan.resolve import Unknown, display, has_tokens, has_unknown, sub_unknowns, unknown_parts
from iacscan.topology.arns import ARN_SERVICE, resource_part

_PARAMETER = re.compile(r"parameter (\S+) (?:has no default|is read from SSM at deploy time)$")
_IMPORT = re.compile(r"import (.+) is not exported by a stack in scope$")
_SSM = re.compile(r"SSM parameter (\S+) is read at deploy time; no stack in scope sets it$")
# A folder given to the scan that held no template hides nothing: not an unseen input.
_NOT_HIDING = ("no CloudFormation or SAM template in this folder",)


# Names a parameter of a stack (``parameter NAME`` -> ``parameter STACK/NAME``) when the ids of
# the scan need it: given the parameter's name and the stack it is a parameter of (None when
# the unknown does not say), returns the name to show.
Qualify = Callable[[str, "str | None"], str]


def outside(
    reason: str, stack: str | None = None, qualify: Qualify | None = None
) -> tuple[str, str] | None:
    """(label, note) when an unknown comes from outside the scope, else None. ``stack``: the
    stack whose parameter it is (``Unknown.stack``); ``qualify`` names the parameter by it."""
    m = _PARAMETER.match(reason)
    if m:
        name = m.group(1)
        ssm = "SSM" in reason
        note = (
            f"comes from parameter {name}, read from SSM at deploy time: scan the stack that "
            "creates it to see what it is"
            if ssm
            else f"comes from parameter {name}, which has no default: scan it together with "
            "the stack that creates it, or give the parameter a default, to see what it is"
        )
        return f"parameter {qualify(name, stack) if qualify else name}", note
    m = _SSM.match(reason)
    if m:
        name = m.group(1)
        return f"ssm {name}", (
            f"read from SSM parameter {name} at deploy time, which no stack in scope sets: "
            "scan the stack that sets it to see what it is"
        )
    m = _IMPORT.match(reason)
    if m:
        name = m.group(1)
        return f"import {name}", (
            f"imported as {name}, which no stack in scope exports: add the exporting stack to "
            "the scan to see what it is"
        )
    return None


def outside_values(value: Any, qualify: Qualify | None = None) -> Iterator[tuple[str, str]]:
    """(ext label, note) for each part of a resolved value that comes from outside the scope.

    A bare unknown is named by its source (``parameter BusArn``; ``qualify`` names a parameter
    by the stack it is a parameter of, which is the stack that passed it down to a nested stack
    or exported it); a string with an unknown part (an ARN built with ``!Sub``) keeps its known
    text, the unknown parts as ``${Name}``."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Unknown):
            if item.options:
                pending.extend(item.options)
                continue
            found = outside(item.reason, item.stack, qualify)
            if found is not None:
                yield found
        elif isinstance(item, str) and has_unknown(item):
            parts = unknown_parts(item)
            notes = [outside(u.reason) for u in parts]
            known = [n for n in notes if n is not None]
            if known and len(known) == len(notes):
                label = resource_part(readable(item))
                if len(known) == 1 and label == "${" + known[0][0].split(" ", 1)[1] + "}":
                    # nothing else known: named by where it comes from
                    label = (outside(parts[0].reason, parts[0].stack, qualify) or known[0])[0]
                yield label, "; ".join(note for _, note in known)
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())


# ARN resource parts that say which of a service's types an ARN names, for actions whose
# resources are of several types (batch:SubmitJob takes a job queue and a job definition).
_ARN_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "batch": (
        ("job-queue/", "AWS::Batch::JobQueue"),
        ("job-definition/", "AWS::Batch::JobDefinition"),
    ),
    "ecs": (
        ("task-definition/", "AWS::ECS::TaskDefinition"),
        ("service/", "AWS::ECS::Service"),
        ("cluster/", "AWS::ECS::Cluster"),
    ),
}
# With no ARN to read, the name of the parameter or import is all that tells a job queue from a
# job definition; a name that says neither stays the type that may hide compute (the queue).
_NAME_WORDS = {"AWS::Batch::JobQueue": "queue", "AWS::Batch::JobDefinition": "definition"}


def names_another(what: str, rtype: str) -> bool:
    """Whether an outside value (an ``ext:`` label) names a type other than ``rtype``: its ARN
    says so (``...:job-definition/${Name}`` is no job queue), or, a bare parameter or import,
    its name says the other type of the same service and not this one."""
    m = ARN_SERVICE.match(what)
    if m:
        for prefix, named in _ARN_KINDS.get(m.group(1), ()):
            if ":" + prefix in what:  # region and account may be ${AWS::Region}: no split
                return named != rtype
        return False
    if rtype not in _NAME_WORDS or not what.startswith(("parameter ", "import ")):
        return False
    name = what.split(" ", 1)[1].rsplit("/", 1)[-1].lower()
    service = rtype.rsplit("::", 1)[0]
    others = [w for t, w in _NAME_WORDS.items() if t != rtype and t.startswith(service + "::")]
    return _NAME_WORDS[rtype] not in name and any(w in name for w in others)


def readable(text: str) -> str:
    """A resolved string as people read it, unknown parts as ``${Name}`` where known."""

    def name(reason: str) -> str:
        found = outside(reason)
        return "${" + found[0].split(" ", 1)[1] + "}" if found else "${?}"

    return display(sub_unknowns(text, name))


def nested_url(url: Any) -> str:
    """A nested stack's TemplateURL as far as it is known."""
    if isinstance(url, str):
        return readable(url)
    if isinstance(url, Unknown):
        found = outside(url.reason)
        return "${" + found[0].split(" ", 1)[1] + "}" if found else "<computed TemplateURL>"
    return "<computed TemplateURL>"


def nested_note(lid: str, url: str, failure: InputError | None, hint: str | None = None) -> str:
    """``hint``: why the loader did not use a template of the name in scope (Template.nested_hints);
    then the note never asks for a file that is already there."""
    if failure is not None:
        return (
            f"nested stack {lid}: its template {url} failed to load ({failure.message}); fix "
            "it to see the resources it deploys"
        )
    if url.startswith("sar://"):
        return (
            f"nested stack {lid} is the Serverless Application Repository application "
            f"{url[len('sar://') :]}: its resources are not analysed; download its template and "
            "scan it with this one to see them"
        )
    if hint is not None:
        return (
            f"nested stack {lid}: its template ({url}) is not in scope, so the resources it "
            f"deploys are not analysed; {hint}"
        )
    return (
        f"nested stack {lid}: its template ({url}) is not in scope, so the resources it deploys "
        "are not analysed; put the template file beside this one (or in a scanned folder) "
        "under the same file name, or scan it with this one, to see them"
    )


def macro_note(file: str, name: str, where: str) -> str:
    """What an unseen macro (or an AWS::Include not read) is, and how to see what it adds."""
    see = (
        "scan the deployed stack (stack:NAME reads its processed template) to see what it "
        "adds or changes"
    )
    if name.startswith("AWS::Include"):
        snippet = name.split(" of ", 1)[1] if " of " in name else "a snippet"
        return (
            f"{file} includes {snippet} with AWS::Include at deploy time ({where}): "
            f"CloudFormation inserts that snippet, which iacscan does not read; {see}"
        )
    return (
        f"{file} is processed by macro {name} at deploy time ({where}): CloudFormation deploys "
        f"what the macro returns, which iacscan does not run or see; {see}"
    )


def local_child(parent_file: str, url: str) -> str | None:
    """The path a local TemplateURL names, relative to the parent's file (no file access)."""
    if "://" in url or has_tokens(url) or url.startswith(("https:", "http:", "s3:")):
        return None
    folder = posixpath.dirname(parent_file.replace("\\", "/"))
    return posixpath.normpath(posixpath.join(folder, url.replace("\\", "/")))


def same_file(a: str, b: str) -> bool:
    """Two paths as written name one file (relative and absolute forms compared by suffix)."""
    a, b = posixpath.normpath(a.replace("\\", "/")), posixpath.normpath(b.replace("\\", "/"))
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def unseen_inputs(errors: Sequence[InputError], loaded_files: set[str]) -> list[InputError]:
    """Load errors that stand for a whole template not analysed (not a part of a loaded one)."""
    out = []
    for e in errors:
        if not e.file:
            continue
        if any(same_file(e.file, f) for f in loaded_files):
            continue  # a problem inside a template that was analysed
        if e.message.startswith(_NOT_HIDING):
            continue
        out.append(e)
    return out


def input_note(error: InputError) -> str:
    where = f"{error.file}:{error.line}" if error.line else error.file
    return (
        f"{where} could not be analysed ({error.message}); whatever it deploys is not in this "
        f"report: {error.hint or 'fix it'}, then scan again"
    )
