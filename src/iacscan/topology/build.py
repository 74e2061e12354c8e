"""Build the topology of the stacks in scope by running every extractor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from iacscan.knowledge.transforms import KNOWN_AWS_TRANSFORMS
from iacscan.model import InputError, Resource, Template
from iacscan.resolve import Scope
from iacscan.topology import registry, unseen
from iacscan.topology.context import ScanContext
from iacscan.topology.extractors.base import ExtractorFailure, log
from iacscan.topology.result import TopologyResult


def build_topology(
    templates: Mapping[str, Template],
    actions: Mapping[str, tuple[tuple[str, str], ...]],
    extractors: Sequence[registry.Extractor] | None = None,
    multi: bool | None = None,
    unseen_errors: Sequence[InputError] = (),
) -> TopologyResult:
    """``unseen_errors``: the load errors of this run; templates that failed to load become
    unknown ``ext:`` nodes (topology/unseen.py)."""
    if extractors is None:
        extractors = registry.EXTRACTORS  # read at call time: the registry is the one list
    scope = Scope(templates)
    ctx = ScanContext(templates, scope, actions, multi=multi)
    for ident, extract in registry.in_dependency_order(extractors):
        try:
            extract(ctx)
        except Exception as err:  # a bug in one extractor must not lose the report
            failure = ExtractorFailure(ident, "", "*", err)
            log.debug("internal error: %s", failure, exc_info=err)
            ctx.failures.append(failure)
    if scope.exhausted is not None:
        reason, stack = scope.exhausted
        t = templates.get(stack)
        ctx.diagnostics.input_errors.append(
            InputError(
                file=t.file if t is not None else "",
                line=None,
                kind="limit",
                message=f"some values were left unknown: {reason}",
                hint="the template's references amplify each other (parameters, Fn::Sub or "
                "Fn::Join that double a value, or one large value used many times); "
                "CloudFormation would reject values this large; edges that depend on them "
                "are missing",
            )
        )
    consumed = _out_of_scope_stacks(ctx, unseen_errors)
    _macros(ctx)
    _failed_inputs(ctx, [e for e in unseen_errors if e not in consumed])
    # last: what only helpers start is decided on every edge, an unseen stack's included
    mark_deploy_time(ctx)
    return ctx.freeze()


def _out_of_scope_stacks(ctx: ScanContext, errors: Sequence[InputError]) -> list[InputError]:
    """A nested stack whose template is not in scope (on S3, from the Serverless Application
    Repository, computed, or failed to load) hides resources: an unknown ``ext:`` node that
    weakens the verdict, and a note, or the verdict reads as covering them. Returns the load
    errors that were these nested templates' failures."""
    consumed: list[InputError] = []
    for stack, res in ctx.resources("AWS::CloudFormation::Stack"):
        if f"{stack}/{res.logical_id}" in ctx.templates:
            continue
        raw = ctx.resolve(stack, res.properties.get("TemplateURL"))
        url = unseen.nested_url(raw)
        where = (
            f"TemplateURL {_short(url)}"
            if isinstance(raw, str)
            else "a TemplateURL known at deploy time"
        )
        ctx.diagnostics.note(
            stack,
            f"nested stack {res.logical_id} is not in scope ({where}): its resources are not "
            "analysed, and the verdict covers only the templates given",
            res,
        )
        parent = ctx.templates[stack].file
        child = unseen.local_child(parent, url)
        failure = next(
            (
                e
                for e in errors
                if (child is not None and unseen.same_file(e.file, child))
                or (unseen.same_file(e.file, parent) and e.line == res.line)
            ),
            None,
        )
        if failure is not None:
            consumed.append(failure)
        known = isinstance(raw, str) and "${?}" not in url and "<" not in url
        what = _short(url) if known else f"nested stack {ctx.node_id(stack, res.logical_id)}"
        node = ctx.unknown_external(
            what,
            "AWS::CloudFormation::Stack",
            unseen.nested_note(
                res.logical_id,
                _short(url),
                failure,
                ctx.templates[stack].nested_hints.get(res.logical_id),
            ),
            may_hide_compute=f"the resources of nested stack {ctx.node_id(stack, res.logical_id)} "
            + ("(its template failed to load)" if failure else f"(template {_short(url)})"),
            at=(stack, res),
        )
        if failure is not None and failure.stack:
            ctx.graph.draft(node).stack = failure.stack  # it stands for the stack not read
        _handed_compute(ctx, stack, res, node)
    return consumed


def _macros(ctx: ScanContext) -> None:
    """A macro that runs on a template (its Transform section, a Fn::Transform under Resources)
    deploys whatever it returns: the resources it adds or changes are unseen, and may be
    servers, so it is an unknown ``ext:`` node that weakens the verdict, as an unseen nested
    stack is. A Fn::Transform inside a resource only computes values of that resource (the
    resolver reads them as unknown; the verdict's warnings say so: classify/engine.py)."""
    for stack, t in ctx.templates.items():
        for macro in t.macros:
            if macro.resource is not None:
                continue
            file = PurePosixPath(t.file.replace("\\", "/")).name
            where = f"{t.file}:{macro.line}" if macro.line else t.file
            include = macro.name.startswith("AWS::Include of ")
            label = f"include {macro.name[16:]}" if include else f"macro {macro.name}"
            phrase = macro.name if include else f"macro {macro.name}"
            known = KNOWN_AWS_TRANSFORMS.get(macro.name)
            note = unseen.macro_note(file, macro.name, where)
            if known is not None:
                note = f"transform {macro.name} of {file} ({where}) adds {known}: no servers"
            ctx.unknown_external(
                label + (f" on {stack}" if ctx.multi else ""),
                "AWS::CloudFormation::Macro",
                note,
                may_hide_compute=None if known else f"what {phrase} adds to or changes in {file}",
                at=(stack, Resource(macro.name, "AWS::CloudFormation::Macro", {}, macro.line)),
            )


_STARTED_BY_NAME = ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")


def _handed_compute(ctx: ScanContext, stack: str, res: Resource, node: str) -> None:
    """A function or state machine handed to an unseen nested stack as a parameter (a SAR event
    source given ``TweetProcessorFunctionName``) is started from there: the unseen stack
    invokes it, so it is not left looking unreached."""
    params = res.properties.get("Parameters")
    for name, value in params.items() if isinstance(params, Mapping) else ():
        for t in ctx.targets(stack, value, types=_STARTED_BY_NAME, external_ok=False):
            what = (
                f"{res.type} {res.logical_id} passes {t.node} as parameter {name} "
                "(what the unseen stack does with it is not in scope)"
            )
            ctx.add_edge(node, t.node, "invokes", ctx.via(stack, what, value, res=res))


def _failed_inputs(ctx: ScanContext, errors: Sequence[InputError]) -> None:
    """A template given to the scan (or found in a scanned folder) that failed to load: what it
    deploys is unseen, so it is an unknown ``ext:`` node that weakens the verdict."""
    if not ctx.templates:
        return  # nothing was analysed: the report says so on its own
    loaded = {t.file for t in ctx.templates.values()}
    for error in unseen.unseen_inputs(errors, loaded):
        # Named by the stack it would have been (its file name, or its path in the scanned
        # folder when file names repeat), as both sides of a diff name it; the file as given
        # would hold where each side's copy is.
        what = _short(error.file)
        if error.stack:
            what = _short(error.stack + PurePosixPath(error.file.replace("\\", "/")).suffix)
        node = ctx.unknown_external(
            what,
            "Template",
            unseen.input_note(error),
            may_hide_compute=f"the resources of {_short(error.file)} (it failed to load)",
        )
        if error.stack:
            ctx.graph.draft(node).stack = error.stack


_HELPER_PATHS = (
    "LogRetention",
    "BucketDeployment",
    "CustomResourceProvider",
    "Custom::",
    "AWS679f53fac002430cb0da5b7982bd2287",
    "AutoDeleteObjects",
)

# The custom-resource ``Provider`` of aws-cdk-lib/custom-resources builds its framework as
# children of the construct the user names, whatever its id: a function per phase, and the state
# machine that polls the completion checker (``isCompleteHandler``) until it says done or times
# out. Every provider has the onEvent function: the one the custom resources' ServiceToken names.
_FRAMEWORK_ON_EVENT = "framework-onEvent"
_FRAMEWORK_FUNCTIONS = (_FRAMEWORK_ON_EVENT, "framework-isComplete", "framework-onTimeout")
_FRAMEWORK_WAITER = "waiter-state-machine"
_FRAMEWORK_PARTS = {
    "AWS::Lambda::Function": _FRAMEWORK_FUNCTIONS,
    "AWS::StepFunctions::StateMachine": (_FRAMEWORK_WAITER,),
}


# The singleton function of CDK's ``AwsCustomResource`` (the ``Custom::AWS`` resource type by
# default): it makes one SDK call at deploy time, the one the resource describes. Its role's
# grants say what that call touches, not that nothing else starts it: it is deploy-time, but
# what it reaches is not made deploy-time for it.
_SDK_CALL_PATH = "AWS679f53fac002430cb0da5b7982bd2287"
_SDK_CALL_TYPE = "Custom::AWS"


def mark_deploy_time(ctx: ScanContext) -> None:
    """Custom resource providers and CDK helper functions run at deploy time only, and so does
    what only a provider's own chain starts (topology/build.py ``_started_only_by_helpers``).

    A ServiceToken target that anything at runtime also reaches (an edge with firm evidence from
    a node that is not deploy-time: a rule's schedule, a queue, an API, a runtime function's
    named grant) is a runtime function that a custom resource runs once more at deploy: it
    stays runtime, with its cost and edges. A wildcard grant alone (weak) does not keep it."""
    frameworks = _provider_frameworks(ctx)
    tokens: set[str] = set()
    sdk_calls: set[str] = set()
    for stack, t in ctx.templates.items():
        for res in t.resources.values():
            if res.type.startswith("Custom::") or res.type == "AWS::CloudFormation::CustomResource":
                for ref in ctx.refs(stack, res.properties.get("ServiceToken")):
                    node = ctx.node_id(*ctx.canonical((ref.stack, ref.logical_id)))
                    if ctx.graph.has_node(node):
                        tokens.add(node)
                        if res.type == _SDK_CALL_TYPE:
                            sdk_calls.add(node)
            if (
                res.type == "AWS::Lambda::Function"
                and res.cdk_path
                and any(p in res.cdk_path for p in _HELPER_PATHS)
            ):
                _mark(ctx, ctx.node_id(stack, res.logical_id))
                if _SDK_CALL_PATH in res.cdk_path:
                    sdk_calls.add(ctx.node_id(stack, res.logical_id))
            part = _framework_part(res)
            if part is not None and (stack, part[0]) in frameworks:
                _mark(ctx, ctx.node_id(stack, res.logical_id))
    for node in tokens - _reached_at_runtime(ctx, tokens):
        _mark(ctx, node)
    _started_only_by_helpers(ctx, sdk_calls)


def _reached_at_runtime(ctx: ScanContext, tokens: set[str]) -> set[str]:
    """The ServiceToken targets (not already deploy-time by their construct path) that a node
    not deploy-time starts (``triggers``, ``invokes``) by firm evidence, directly or through
    other such targets. A store the function reads (a ``reads`` edge from its own grant)
    does not start it."""
    into: dict[str, set[str]] = {}
    for key in ctx.graph.edge_keys():
        source, target, kind = key
        if (
            target in tokens
            and source != target
            and kind in ("triggers", "invokes")  # a table it reads starts nothing
            and any(not v.weak for v in ctx.graph.vias(key))
        ):
            into.setdefault(target, set()).add(source)
    open_ = {t for t in tokens if not ctx.graph.draft(t).deploy_time}
    runtime: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in sorted(open_ - runtime):
            if any(
                s in runtime
                or (
                    s not in tokens and ctx.graph.has_node(s) and not ctx.graph.draft(s).deploy_time
                )
                for s in into.get(node, ())
            ):
                runtime.add(node)
                changed = True
    return runtime


def _framework_part(res: Resource) -> tuple[str, str] | None:
    """``(provider path, part)`` when ``res`` is a function or the waiter state machine of a CDK
    ``Provider`` framework by its construct path (``App/MyProvider/framework-isComplete/
    Resource``): the part's name is a construct id under the provider, never the stack's root."""
    names = _FRAMEWORK_PARTS.get(res.type)
    if names is None or not res.cdk_path:
        return None
    segments = res.cdk_path.split("/")
    for i in range(len(segments) - 1, 0, -1):  # the innermost provider
        if segments[i] in names:
            return "/".join(segments[:i]), segments[i]
    return None


def _provider_frameworks(ctx: ScanContext) -> set[tuple[str, str]]:
    """The CDK ``Provider`` constructs in scope, as ``(stack, construct path)``: those with a
    ``framework-onEvent`` function. Its siblings (the completion and timeout functions, the
    waiter) are recognised by their names only beside one, not as any construct so named."""
    found: set[tuple[str, str]] = set()
    for stack, t in ctx.templates.items():
        for res in t.resources.values():
            part = _framework_part(res)
            if part is not None and part[1] == _FRAMEWORK_ON_EVENT:
                found.add((stack, part[0]))
    return found


def _started_only_by_helpers(ctx: ScanContext, sdk_calls: set[str]) -> None:
    """A function or state machine that only deploy-time helpers start is deploy-time too,
    transitively: the ``on_event_handler`` and ``is_complete_handler`` a user gives a CDK
    ``Provider`` (its framework functions invoke them), the framework's waiter state machine (its
    onEvent function starts it) and what the waiter runs, a handler of ``AwsCustomResource``.

    One stays runtime when anything at runtime reaches it, through any chain: an edge of another
    kind (an API, a queue, a rule triggers it), or from a runtime node (a weak one included: a
    grant on every function may be a call). It must also be reached from a helper by firm
    evidence: a wildcard grant of a helper's role names every function, and functions that only
    invoke each other start nothing on their own. Only a provider's own chain (a ServiceToken
    target, a ``Provider`` framework's parts, and what they make deploy-time) is such a helper:
    an ``AwsCustomResource`` (``sdk_calls``) makes one SDK call while deploying, which says
    nothing of what starts its target at runtime (left "started from outside the scan")."""
    into: dict[str, list[tuple[str, str]]] = {}
    out: dict[str, list[str]] = {}
    firm_out: dict[str, list[str]] = {}
    for key in ctx.graph.edge_keys():
        source, target, kind = key
        into.setdefault(target, []).append((source, kind))
        out.setdefault(source, []).append(target)
        if kind == "invokes" and any(not v.weak for v in ctx.graph.vias(key)):
            firm_out.setdefault(source, []).append(target)
    helpers = {n for n in {*into, *out} if ctx.graph.has_node(n) and ctx.graph.draft(n).deploy_time}
    candidates = {
        t
        for t in into
        if t not in helpers
        and ctx.graph.has_node(t)
        and ctx.graph.draft(t).type in _STARTED_BY_NAME
    }
    started_at_runtime = {
        t
        for t in candidates
        if any(k != "invokes" or (s not in helpers and s not in candidates) for s, k in into[t])
    }
    only_helpers = candidates - _closure(started_at_runtime, out, candidates)
    chain = helpers - sdk_calls
    firmly = _closure({t for h in chain for t in firm_out.get(h, ())}, firm_out, only_helpers)
    # what is not firmly reached stays runtime, and so does what it starts
    deploy_time = only_helpers - _closure(only_helpers - firmly, out, only_helpers)
    for node in deploy_time:
        ctx.graph.draft(node).deploy_time = True


def _closure(start: set[str], out: Mapping[str, list[str]], within: set[str]) -> set[str]:
    """The nodes of ``within`` that ``start`` (its own members of ``within`` included) reaches
    by edges ``out``, through nodes of ``within`` only."""
    seen: set[str] = set()
    todo = [n for n in start if n in within]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(t for t in out.get(node, ()) if t in within and t not in seen)
    return seen


def _mark(ctx: ScanContext, node_id: str) -> None:
    if ctx.graph.has_node(node_id):
        ctx.graph.draft(node_id).deploy_time = True


def _short(text: str, limit: int = 200) -> str:
    """A value quoted in a note: a hostile template's megabyte string stays out of the report."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
