"""Build the topology of the stacks in scope by running every extractor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

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
    mark_deploy_time(ctx)
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
    _failed_inputs(ctx, [e for e in unseen_errors if e not in consumed])
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
            unseen.nested_note(res.logical_id, _short(url), failure),
            may_hide_compute=f"the resources of nested stack {ctx.node_id(stack, res.logical_id)} "
            + ("(its template failed to load)" if failure else f"(template {_short(url)})"),
            at=(stack, res),
        )
        if failure is not None and failure.stack:
            ctx.graph.draft(node).stack = failure.stack  # it stands for the stack not read
        _handed_compute(ctx, stack, res, node)
    return consumed


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
    "/Provider/framework-",
    "AutoDeleteObjects",
)


def mark_deploy_time(ctx: ScanContext) -> None:
    """Custom resource providers and CDK helper functions run at deploy time only."""
    for stack, t in ctx.templates.items():
        for res in t.resources.values():
            if res.type.startswith("Custom::") or res.type == "AWS::CloudFormation::CustomResource":
                for ref in ctx.refs(stack, res.properties.get("ServiceToken")):
                    _mark(ctx, ctx.node_id(*ctx.canonical((ref.stack, ref.logical_id))))
            if (
                res.type == "AWS::Lambda::Function"
                and res.cdk_path
                and any(p in res.cdk_path for p in _HELPER_PATHS)
            ):
                _mark(ctx, ctx.node_id(stack, res.logical_id))

    _invoked_only_by_helpers(ctx)


def _invoked_only_by_helpers(ctx: ScanContext) -> None:
    """A function that only deploy-time helpers start (the ``on_event_handler`` the user gave a
    custom-resource ``Provider``, which the provider framework invokes) is deploy-time too."""
    for _ in range(4):  # providers wrap handlers a level or two deep; bounded
        edges = ctx.graph.edge_keys()
        into: dict[str, list[tuple[str, str]]] = {}
        for source, target, kind in edges:
            into.setdefault(target, []).append((source, kind))
        changed = False
        for target, sources in into.items():
            draft = ctx.graph.draft(target) if ctx.graph.has_node(target) else None
            if draft is None or draft.deploy_time or draft.type != "AWS::Lambda::Function":
                continue
            helpers = [
                s
                for s, kind in sources
                if kind == "invokes" and ctx.graph.has_node(s) and ctx.graph.draft(s).deploy_time
            ]
            if helpers and len(helpers) == len(sources):
                draft.deploy_time = True
                changed = True
        if not changed:
            return


def _mark(ctx: ScanContext, node_id: str) -> None:
    if ctx.graph.has_node(node_id):
        ctx.graph.draft(node_id).deploy_time = True


def _short(text: str, limit: int = 200) -> str:
    """A value quoted in a note: a hostile template's megabyte string stays out of the report."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
