"""Stack names that two inputs share.

A stack is named by its file stem, its CDK stack name or its deployed name, and node ids are
``STACK/LogicalId`` when several stacks are scanned together. ``iacscan orders.yaml stack:orders``
or a template folder next to a CDK app with a stack of the same name would give two stacks one
name: their nodes would merge and one template would replace the other. Each root stack whose
name another input also gives is qualified by where it comes from (``template/orders``,
``deployed/orders``, ``cdk/orders``), with its nested stacks; ``AWS::StackName`` still resolves
to the last segment, the real name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from iacscan.model import InputInfo, Template

LABELS = {
    "template": "template",
    "sam": "template",
    "cdk-app": "cdk",
    "cdk-out": "cdk",
    "stack": "deployed",
}


def qualify_shared_names(
    templates: Sequence[Template], inputs: Sequence[InputInfo]
) -> tuple[list[Template], list[InputInfo], list[str]]:
    """The templates and inputs with shared root names qualified, and a note per rename.

    Loaders add an input's templates together and in the order of ``InputInfo.stacks``; when
    that does not hold the lists come back unchanged."""
    groups: list[tuple[InputInfo, list[Template]]] = []
    pos = 0
    for info in inputs:
        chunk = list(templates[pos : pos + len(info.stacks)])
        if [t.stack for t in chunk] != list(info.stacks):
            return list(templates), list(inputs), []
        groups.append((info, chunk))
        pos += len(chunk)
    if pos != len(templates):
        return list(templates), list(inputs), []
    roots = Counter(t.stack for _, chunk in groups for t in chunk if t.parent is None)
    shared = {name for name, count in roots.items() if count > 1}
    if not shared:
        return list(templates), list(inputs), []
    used = {t.stack for t in templates}
    out_templates: list[Template] = []
    out_inputs: list[InputInfo] = []
    notes: list[str] = []
    for info, chunk in groups:
        renames: dict[str, str] = {}
        for t in chunk:
            if t.parent is None and t.stack in shared:
                label = LABELS.get(info.kind, info.kind)
                new, n = f"{label}/{t.stack}", 2
                while new in used:
                    new, n = f"{label}{n}/{t.stack}", n + 1
                used.add(new)
                renames[t.stack] = new
                notes.append(
                    f"Two inputs give the stack name {t.stack!r}: the one from {info.path} is "
                    f"{new!r} in node ids."
                )
        chunk = [_renamed(t, renames) for t in chunk]
        out_templates.extend(chunk)
        out_inputs.append(replace(info, stacks=tuple(t.stack for t in chunk)))
    return out_templates, out_inputs, notes


def _renamed(t: Template, renames: dict[str, str]) -> Template:
    for old, new in renames.items():
        if t.stack == old or t.stack.startswith(old + "/"):
            parent = t.parent
            if parent is not None and (parent == old or parent.startswith(old + "/")):
                parent = new + parent[len(old) :]
            return replace(t, stack=new + t.stack[len(old) :], parent=parent)
    return t
