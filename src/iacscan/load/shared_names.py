"""Stack names that two inputs share.

A stack is named by its file stem, its CDK stack name or its deployed name, and node ids are
``STACK/LogicalId`` when several stacks are scanned together. ``iacscan orders.yaml stack:orders``
or a template folder next to a CDK app with a stack of the same name would give two stacks one
name: their nodes would merge and one template would replace the other. Each root stack whose
name (or a nested stack's name under it) another input also gives is qualified by where it comes
from (``template/orders``, ``deployed/orders``, ``cdk/orders``), with its nested stacks;
``AWS::StackName`` still resolves to the last segment, the real name.

``diff`` qualifies both sides with the names either side shares, so that a pull request that
adds a same-named CDK stack does not rename the template's nodes on one side only.
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
Group = tuple[InputInfo, list[Template]]


def _groups(templates: Sequence[Template], inputs: Sequence[InputInfo]) -> list[Group]:
    """Each input with its templates. Loaders add an input's templates together, in the order
    of ``InputInfo.stacks``; anything else is a loader bug, and guessing would merge stacks."""
    groups: list[Group] = []
    pos = 0
    for info in inputs:
        chunk = list(templates[pos : pos + len(info.stacks)])
        if [t.stack for t in chunk] != list(info.stacks):
            raise RuntimeError(f"the templates of {info.path} are not where its input lists them")
        groups.append((info, chunk))
        pos += len(chunk)
    if pos != len(templates):
        raise RuntimeError("templates without an input")
    return groups


def _root_of(name: str, roots: Sequence[str]) -> str | None:
    inside = [r for r in roots if name == r or name.startswith(r + "/")]
    return max(inside, key=len) if inside else None


def shared_roots(templates: Sequence[Template], inputs: Sequence[InputInfo]) -> set[str]:
    """Root stack names to qualify: those with a stack name (their own or a nested one) that
    another input also has."""
    groups = _groups(templates, inputs)
    seen = Counter(name for _, chunk in groups for name in {t.stack for t in chunk})
    clashing = {name for name, n in seen.items() if n > 1}
    out: set[str] = set()
    for _, chunk in groups:
        roots = [t.stack for t in chunk if t.parent is None]
        out.update(r for r in (_root_of(n, roots) for n in clashing) if r is not None)
    return out


def qualify(
    templates: Sequence[Template], inputs: Sequence[InputInfo], shared: set[str]
) -> tuple[list[Template], list[InputInfo], list[str]]:
    """The templates and inputs with the roots named in ``shared`` qualified (nested stacks
    follow their root), and a note per rename."""
    if not shared:
        return list(templates), list(inputs), []
    used = {t.stack for t in templates}
    out_templates: list[Template] = []
    out_inputs: list[InputInfo] = []
    notes: list[str] = []
    for info, chunk in _groups(templates, inputs):
        renames: dict[str, str] = {}
        for t in chunk:
            if t.parent is None and t.stack in shared:
                label = LABELS.get(info.kind, info.kind)
                new, n = f"{label}/{t.stack}", 2
                while new in used or any(u.startswith(new + "/") for u in used):
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
    root = _root_of(t.stack, list(renames))
    if root is None:
        return t
    new = renames[root]
    parent = t.parent
    if parent is not None and (parent == root or parent.startswith(root + "/")):
        parent = new + parent[len(root) :]
    return replace(t, stack=new + t.stack[len(root) :], parent=parent)
