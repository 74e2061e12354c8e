"""The data model shared by every layer: plain frozen dataclasses, no I/O, no imports of ours.

Two halves:
- input: ``Template`` (one CloudFormation stack as loaded, with line numbers kept on the values);
- output: ``Analysis`` (topology, verdict, boundary, findings, errors), the JSON contract of
  architecture.md, schema_version 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

InputKind = Literal["template", "sam", "cdk-app", "cdk-out", "stack"]
Role = Literal[
    "compute", "orchestrator", "channel", "store", "ingress", "router", "capacity", "external"
]
EdgeKind = Literal["triggers", "invokes", "writes", "reads"]
Level = Literal[
    "serverless", "serverless-with-floor", "not-serverless", "indeterminate", "no-compute"
]
Architecture = Literal["single-service", "distributed", "monolith-candidate", "none"]
Status = Literal["pass", "fail", "warn", "unknown", "n/a"]
IdleKind = Literal[
    "container-floor",
    "provisioned-concurrency",
    "managed-floor",
    "network",
    "ecs-on-ec2",
    "instance",
]
Severity = Literal["error", "warning", "note"]
# What --fail-on, the fail-on config key and the Action's fail-on input accept (one list).
FAIL_ON_VALUES: tuple[str, ...] = ("never", "not-serverless", "warning", "error")
ErrorKind = Literal["parse", "limit", "synth", "aws", "unsupported", "internal"]


def line_of(value: object) -> int | None:
    """The 1-based line where a decoded template value starts, when the decoder kept it."""
    mark = getattr(value, "start_mark", None)
    if mark is None:
        return None
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


# --------------------------------------------------------------------------- input side


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource of a template. ``properties`` keeps the decoder's values (with line marks)."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    line: int | None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    condition: str | None = None
    cdk_path: str | None = None
    # For SAM: the logical id of the resource the user wrote that produced this one.
    origin: str | None = None
    # For CDK: the file (relative to where iacscan runs) and line of the app's source code that
    # creates the construct, when found.
    source_file: str | None = None
    source_line: int | None = None


@dataclass(frozen=True, slots=True)
class Macro:
    """A transform CloudFormation applies at deploy time that iacscan does not run: a macro of
    the ``Transform`` section (any but AWS::Serverless and AWS::LanguageExtensions), a
    ``Fn::Transform`` (an ``AWS::Include`` not read in place, or an account's macro)."""

    name: str  # "DatadogServerless", "AWS::Include of s3://bucket/snippet.yaml"
    line: int | None
    # The resource whose values it computes (a Fn::Transform inside it); None when it runs on
    # the template or its Resources section: it may add or change any resource.
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """One stack, as loaded. ``stack`` is its name (file stem, CDK stack name, deployed name)."""

    stack: str
    file: str
    kind: InputKind
    resources: Mapping[str, Resource]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    # Actual parameter values (deployed stacks, nested stack parameters); win over defaults.
    parameter_values: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    # For a nested stack: the id prefix ("Parent/NestedLogicalId") its resources get.
    parent: str | None = None
    # Local files a state machine DefinitionUri points at, etc., already read by the loader.
    attachments: Mapping[str, Any] = field(default_factory=dict)
    # Problems the loader tolerated, as CloudFormation does (a repeated key): verdict warnings.
    warnings: tuple[str, ...] = ()
    # For CDK: the app's entry file (from cdk.json), where locations fall back to when the
    # source line of a construct is not found; None for templates the user wrote.
    entry_file: str | None = None
    # For CDK: the construct path of the stack (resource paths start with it).
    stack_path: str | None = None
    # Nested stacks not loaded although a template of the name their TemplateURL ends with is
    # in scope: why (an Fn::If between two files, several files of that name), by logical id.
    nested_hints: Mapping[str, str] = field(default_factory=dict)
    # Transforms CloudFormation applies at deploy time that iacscan does not run (unseen).
    macros: tuple[Macro, ...] = ()


@dataclass(frozen=True, slots=True)
class InputInfo:
    path: str
    kind: InputKind
    stacks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InputError:
    file: str
    line: int | None
    kind: ErrorKind
    message: str
    hint: str
    # When a whole template could not be read: the stack it would have been (its file's stack
    # name, or PARENT/NestedLogicalId), whose resources this side does not see. Not in the JSON.
    stack: str | None = None


# --------------------------------------------------------------------------- topology


@dataclass(frozen=True, slots=True)
class Via:
    """One piece of evidence for an edge."""

    what: str
    file: str
    line: int | None
    weak: bool = False
    # For CDK: file/line point into the app's source; these into the synthesized template.
    synth_file: str | None = None
    synth_line: int | None = None


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    type: str
    role: Role
    stack: str
    file: str
    line: int | None
    path: str | None = None
    deploy_time: bool = False
    # Decisive properties, as shown to people and compared by diff (launch type, floor...).
    properties: Mapping[str, str | int | bool | None] = field(default_factory=dict)
    # The name people read: the shortened construct path for CDK (docs/labels.md), else the id.
    label: str = ""
    # For CDK: where the synthesized template defines it (file/line point into the app's source).
    synth_file: str | None = None
    synth_line: int | None = None

    @property
    def name(self) -> str:
        return self.label or self.id


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    via: tuple[Via, ...]

    @property
    def dead_letter(self) -> bool:
        """Carries only failed deliveries: every piece of evidence is an SQS redrive policy or
        a rule target's or a pipe's dead-letter config (extractors sqs_redrive, eventbridge,
        pipes)."""
        return (
            self.kind == "triggers"
            and bool(self.via)
            and all(_DEAD_LETTER_EVIDENCE.search(v.what) for v in self.via)
        )


# The evidence those extractors write ("AWS::SQS::Queue Q RedrivePolicy (after 3 receives)",
# "AWS::Events::Rule R target T DeadLetterConfig"): a word of its own at the end, never inside a
# logical id (a rule named DeadLetterConfigAudit is no dead letter).
_DEAD_LETTER_EVIDENCE = re.compile(r" (?:RedrivePolicy \(after [^)]*\)|DeadLetterConfig)$")


@dataclass(frozen=True, slots=True)
class Topology:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, node_id: str) -> Node | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    def labels(self) -> dict[str, str]:
        """Node id -> the label people read (ids of no node map to themselves via ``.get``)."""
        return {n.id: n.name for n in self.nodes}


@dataclass(frozen=True, slots=True)
class Boundary:
    ingress: tuple[str, ...]
    egress: tuple[str, ...]


# --------------------------------------------------------------------------- verdict


@dataclass(frozen=True, slots=True)
class Evidence:
    node: str
    file: str
    line: int | None
    why: str
    default: bool = False
    synth_file: str | None = None
    synth_line: int | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    title: str
    status: Status
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class IdleCost:
    node: str
    kind: IdleKind
    why: str


@dataclass(frozen=True, slots=True)
class Cases:
    best: Level
    worst: Level
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verdict:
    definition: str
    serverless: bool | None
    level: Level
    scales_to_zero: bool | None
    monolith: bool | None
    architecture: Architecture
    summary: str
    criteria: tuple[Criterion, ...]
    idle_costs: tuple[IdleCost, ...]
    cases: Cases | None
    warnings: tuple[str, ...]
    # Reasons behind the architecture label ("not a monolith because ...") and its scope note.
    architecture_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    resources: tuple[str, ...]
    file: str
    line: int | None
    synth_file: str | None = None
    synth_line: int | None = None


@dataclass(frozen=True, slots=True)
class Suppression:
    """A finding the user suppressed: ``kind`` "metadata" (the resource's
    ``Metadata: {iacscan: {ignore: [...]}}``) or "ignore" (``--ignore`` or the configuration,
    ``RULE`` or ``RULE:RESOURCE``)."""

    finding: Finding
    kind: Literal["metadata", "ignore"]
    justification: str


@dataclass(frozen=True, slots=True)
class System:
    """One of several unlinked systems in the inputs, with its own verdict."""

    name: str
    stacks: tuple[str, ...]
    files: tuple[str, ...]
    nodes: tuple[str, ...]
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Analysis:
    tool_version: str
    inputs: tuple[InputInfo, ...]
    verdict: Verdict
    topology: Topology
    boundary: Boundary
    findings: tuple[Finding, ...]
    errors: tuple[InputError, ...]
    # Internal errors (a bug in an extractor or rule): the report is incomplete.
    internal_errors: tuple[InputError, ...] = ()
    notes: tuple[str, ...] = ()
    # The cost model's report, only when a usage profile or a rate was given.
    cost: CostReport | None = None
    # Findings the user suppressed (SARIF shows them with ``suppressions``; other formats not).
    suppressed: tuple[Suppression, ...] = ()
    # When the inputs hold several unlinked systems: each one with its own verdict (the verdict
    # above summarises them). Empty for one system.
    systems: tuple[System, ...] = ()
    # Labels of resources that are no node but are named in evidence and idle costs (a NAT
    # gateway, an Elastic IP of a CDK app): id -> label. Node labels are on the nodes.
    resource_labels: Mapping[str, str] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        """Every id the report names -> the label people read."""
        return {**self.resource_labels, **self.topology.labels()}

    def started_outside(self) -> list[str]:
        """Compute and orchestrators that nothing in scope starts or feeds (a state machine a
        client starts, a function called by another account): their trigger is outside the
        scan, which the boundary alone does not say. A deploy-time helper (an
        ``AwsCustomResource`` starting it once while CloudFormation deploys) feeds nothing at
        runtime."""
        helpers = {n.id for n in self.topology.nodes if n.deploy_time}
        fed = {e.target for e in self.topology.edges if e.source not in helpers}
        ingress = set(self.boundary.ingress)
        return sorted(
            n.id
            for n in self.topology.nodes
            if n.role in ("compute", "orchestrator")
            and not n.deploy_time
            and n.id not in fed
            and n.id not in ingress
        )


@dataclass(frozen=True, slots=True)
class NodeChange:
    id: str
    changes: Mapping[str, tuple[object, object]]


@dataclass(frozen=True, slots=True)
class SystemChange:
    """A system (matched by name) whose level or label a change moves; None on the side where
    it does not exist (added or removed)."""

    name: str
    before: Verdict | None
    after: Verdict | None
    # On one side only because the other side could not read its templates: not analysed
    # there, not added or removed.
    unread: bool = False
    # The other side's systems this one is made of: joined (before is None: several systems
    # now linked into this one) or split (after is None: this one is now several).
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnalysisDiff:
    before: Analysis
    after: Analysis
    nodes_added: tuple[str, ...]
    nodes_removed: tuple[str, ...]
    nodes_changed: tuple[NodeChange, ...]
    edges_added: tuple[Edge, ...]
    edges_removed: tuple[Edge, ...]
    ingress_added: tuple[str, ...]
    ingress_removed: tuple[str, ...]
    egress_added: tuple[str, ...]
    egress_removed: tuple[str, ...]
    findings_new: tuple[Finding, ...]
    findings_fixed: tuple[Finding, ...]
    summary: tuple[str, ...]
    # Both sides priced with one usage profile: the saving and the break-even.
    cost: CostComparison | None = None
    # When either side holds several systems: the ones whose level or label the change moves.
    systems_changed: tuple[SystemChange, ...] = ()
    # The changed nodes that moved the verdict (diff.decisive_nodes).
    decisive: tuple[str, ...] = ()
    # Nodes of one side whose template the other side could not read (InputError.stack): not
    # analysed there, so neither added nor removed; their edges, boundary entries and findings
    # are not compared either.
    nodes_unread: tuple[str, ...] = ()
    # (removed, added) pairs of one type in one stack, one of each, not paired by a construct
    # path: a logical id that changed, so CloudFormation creates the new resource and deletes
    # the old one (a store's data does not move).
    nodes_replaced: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------- cost (issue 17)

CostSubject = Literal["node", "edge"]


@dataclass(frozen=True, slots=True)
class LineItem:
    """One priced quantity: what is counted on a node or an edge, and the price that made it."""

    subject: str  # a node id, or "SOURCE -kind-> TARGET" for an edge
    subject_kind: CostSubject
    what: str  # "state transitions", "GB-seconds", "PUT requests", "vCPU-hours"...
    quantity: float  # per month, at the profile's load
    unit_price: float  # USD per unit
    price_key: str  # the row of the price table
    source: str  # the row's source page and date
    monthly: float  # USD per month at the profile's load
    idle_monthly: float = 0.0  # USD per month of it that is paid at zero load


@dataclass(frozen=True, slots=True)
class Assumption:
    """A fact the price needed and the template could not give: from the usage file, a flag,
    or a documented default (``default`` true)."""

    subject: str  # a node id, an edge, or "" for the whole profile
    what: str
    value: str
    source: str  # "default", "usage file u.yaml:12", "--rate"
    default: bool = True


@dataclass(frozen=True, slots=True)
class CostReport:
    region: str
    prices: str  # where the price table came from and its oldest row date
    load: tuple[tuple[str, float], ...]  # (ingress node, events per second)
    events_per_month: float
    idle_monthly: float  # USD per month at zero load
    monthly: float  # USD per month at the profile's load
    per_million_events: float | None  # monthly cost per million ingress events
    items: tuple[LineItem, ...]
    assumptions: tuple[Assumption, ...]
    # What was not priced or may be wrong (unpriced resources, capacity caps): it weakens the
    # figures and is always shown.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CostPoint:
    scale: float  # multiple of the profile's load
    events_per_month: float
    before: float
    after: float


@dataclass(frozen=True, slots=True)
class CostComparison:
    before_monthly: float
    after_monthly: float
    saving_percent: float | None  # (before - after) / before, None when before costs nothing
    # The load where both cost the same, as a multiple of the profile's load; None when the
    # lines do not cross in the range searched.
    break_even_scale: float | None
    break_even_events_per_month: float | None
    cheaper_below: Literal["before", "after"] | None  # which side is cheaper below break-even
    summary: tuple[str, ...]
    curve: tuple[CostPoint, ...]  # sampled from 0 to 10 times the profile's load
    # Linear samples from 0 to twice the break-even load, when there is one: where the lines cross.
    zoom: tuple[CostPoint, ...] = ()
