"""Property-based hostile input: generated and mutated templates through the whole pipeline.

Every example is loaded with ``template_from_data`` (as the loaders do after decoding), analysed,
and rendered in every format. Only the ``IacscanError`` family may escape (a template of the
wrong shape), and the Analysis may hold no internal errors (an extractor or rule that crashed).

The number of examples per test comes from ``IACSCAN_FUZZ_EXAMPLES`` (default 300; ``make
fuzz`` runs 4000, under a 3 GB address-space cap). Run with ``-s`` to see how many examples each test ran.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iacscan.analysis import analyze
from iacscan.classify.profile import load_profile
from iacscan.cli import rule_docs
from iacscan.errors import IacscanError
from iacscan.load.cfn import decode_bytes, decode_text, read_text, template_from_data
from iacscan.load.iam_actions import action_table
from iacscan.model import Analysis, InputInfo, Template
from iacscan.render.dot import render_dot
from iacscan.render.json_report import render_json
from iacscan.render.markdown import render_markdown
from iacscan.render.mermaid import render_mermaid
from iacscan.render.sarif import render_sarif
from iacscan.render.text import render_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(
    p
    for p in (ROOT / "fixtures" / "templates").glob("*.yaml")
    if not p.name.endswith(".expected.yaml")
)
EXAMPLES = int(os.environ.get("IACSCAN_FUZZ_EXAMPLES", "300"))
# `make test` is repeatable: a fixed seed (derandomize). `make fuzz` sets IACSCAN_FUZZ_EXAMPLES
# and explores new random examples on every run.
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize="IACSCAN_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = load_profile("johnston-2023")
ACTIONS = action_table()
RULES = rule_docs()
RAN: Counter[str] = Counter()


# ----------------------------------------------------------------------------- vocabulary


def _decoded_fixtures() -> dict[str, Mapping[str, Any]]:
    # tolerant, as the loader reads templates: a fixture repeats a key on purpose
    return {p.stem: decode_text(read_text(p), str(p), warnings=[]) for p in FIXTURES}


DECODED = _decoded_fixtures()


def _keys(value: Any, out: set[str]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            out.update(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _vocabulary() -> tuple[list[str], list[str], list[str]]:
    types: set[str] = set()
    keys: set[str] = set()
    strings: set[str] = set()
    for data in DECODED.values():
        for body in data.get("Resources", {}).values():
            if isinstance(body, Mapping) and isinstance(body.get("Type"), str):
                types.add(body["Type"])
                _keys(body.get("Properties"), keys)
    for p in FIXTURES:
        strings.update(re.findall(r"(arn:[^\s\"'}]+|[a-z0-9-]+:[A-Z][A-Za-z]+)", p.read_text()))
    return sorted(types), sorted(k for k in keys if not k.startswith("Fn::")), sorted(strings)


TYPES, PROPERTY_KEYS, STRINGS = _vocabulary()
EXTRA_TYPES = [
    "AWS::CloudFormation::Stack",
    "AWS::CloudFormation::CustomResource",
    "Custom::Thing",
    "AWS::Serverless::Function",
    "AWS::Lambda::Url",
    "AWS::ApiGatewayV2::Integration",
    "AWS::Events::Rule",
]
INTRINSICS = [
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::If",
    "Fn::FindInMap",
    "Fn::ImportValue",
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::ToJsonString",
    "Fn::Length",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Condition",
    "Fn::Transform",
    "Fn::Cidr",
    "Fn::ForEach::Loop",
]
LOGICAL_IDS = ["Fn", "Queue", "Topic", "Bucket", "Machine", "Role", "Rule", "Api", "Table", "P"]
PSEUDO = ["AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::NoValue", "AWS::URLSuffix"]


# ----------------------------------------------------------------------------- strategies

names = st.sampled_from(LOGICAL_IDS) | st.text(alphabet="ABCXYZabc019", min_size=1, max_size=6)
texts = st.one_of(
    st.sampled_from(STRINGS or ["arn:aws:sqs:us-east-1:123456789012:q"]),
    st.text(max_size=30),
    st.builds(lambda a, b: f"{a}${{{b}}}", st.text(max_size=8), names | st.sampled_from(PSEUDO)),
    st.builds(
        lambda n, a: f"${{{n}.{a}}}", names, st.sampled_from(["Arn", "Name", "Outputs.X", ""])
    ),
    st.sampled_from(["*", "", "arn:aws:s3:::*", "arn:aws:lambda:*:*:function:*", "${!Lit}"]),
    st.sampled_from(PSEUDO + LOGICAL_IDS),
)
leaves = st.one_of(
    texts,
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)


def _intrinsic(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    arg = st.one_of(
        children,
        st.lists(children, max_size=4),
        names,
        st.lists(names | children, min_size=1, max_size=3),
    )
    return st.builds(lambda fn, a: {fn: a}, st.sampled_from(INTRINSICS), arg)


def _values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.sampled_from(PROPERTY_KEYS) | st.text(max_size=6), children, max_size=4
            ),
            _intrinsic(children),
        ),
        max_leaves=max_leaves,
    )


values = _values()


def _skeletons() -> tuple[dict[str, list[Any]], dict[str, str]]:
    """The Properties each resource type has in the fixtures (realistic shapes to fill in), and
    the type of each logical id the fixtures use (to point references at the right type)."""
    out: dict[str, list[Any]] = {}
    types: dict[str, str] = {}
    for data in DECODED.values():
        for lid, body in data.get("Resources", {}).items():
            if isinstance(body, Mapping) and isinstance(body.get("Type"), str):
                types[str(lid)] = body["Type"]
                if isinstance(body.get("Properties"), Mapping):
                    out.setdefault(body["Type"], []).append(body["Properties"])
    return out, types


SKELETONS, FIXTURE_TYPES = _skeletons()
_SUB_REF = re.compile(r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z.]+)?)\}")
ATTRIBUTES = ["Arn", "Name", "QueueName", "TopicName", "StreamArn", "QueueUrl", "Outputs.Out", "x"]


def references(ids: list[str]) -> st.SearchStrategy[Any]:
    """Values that point at the template's own resources, the way real templates do."""
    lid = st.sampled_from(ids) | names
    attr = st.sampled_from(ATTRIBUTES)
    return st.one_of(
        st.builds(lambda i: {"Ref": i}, lid),
        st.builds(lambda i, a: {"Fn::GetAtt": [i, a]}, lid, attr),
        st.builds(lambda i, a: {"Fn::GetAtt": f"{i}.{a}"}, lid, attr),
        st.builds(lambda i: {"Fn::Sub": f"${{{i}.Arn}}/*"}, lid),
        st.builds(lambda i: f"arn:aws:sqs:us-east-1:123456789012:{i}", lid),
        st.builds(lambda i, j: {"Fn::If": ["C", {"Ref": i}, {"Ref": j}]}, lid, lid),
        st.builds(lambda i: {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": i}, "/*"]]}, lid),
    )


@st.composite
def filled(draw: st.DrawFn, skeleton: Any, types: dict[str, Any]) -> Any:
    """A copy of ``skeleton`` whose references point at this template's resources (of the same
    type when there is one), with some leaves replaced by other references or junk."""
    ids = sorted(types)
    rate = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6]))
    fill = references(ids) | values

    def same_type(fixture_id: str) -> str:
        wanted = FIXTURE_TYPES.get(fixture_id)
        matching = [i for i in ids if types[i] == wanted]
        return draw(st.sampled_from(matching or ids))

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if rate and draw(st.floats(0, 1)) < rate:
            return draw(fill)
        if isinstance(value, str):
            head, _, attr = value.partition(".")
            if head in FIXTURE_TYPES:
                return same_type(head) + ("." + attr if attr else "")
            return _SUB_REF.sub(
                lambda m: (
                    "${"
                    + (same_type(m.group(1)) if m.group(1) in FIXTURE_TYPES else m.group(1))
                    + m.group(2)
                    + "}"
                ),
                value,
            )
        return value

    return walk(skeleton)


@st.composite
def resources(
    draw: st.DrawFn, rtype: Any, types: dict[str, Any], hostile: bool, own: Any = None
) -> Any:
    if hostile and draw(st.integers(0, 9)) == 0:
        return draw(values)  # not a mapping: the template is refused
    body: dict[str, Any] = {"Type": rtype}
    shape = draw(st.integers(0, 9))
    if shape < 5 and isinstance(own, Mapping):
        body["Properties"] = draw(filled(own, types))
    elif shape < 7 and isinstance(rtype, str) and rtype in SKELETONS:
        body["Properties"] = draw(filled(draw(st.sampled_from(SKELETONS[rtype])), types))
    elif shape < 9:
        body["Properties"] = draw(
            st.dictionaries(
                st.sampled_from(PROPERTY_KEYS), references(sorted(types)) | values, max_size=6
            )
        )
    elif hostile:
        body["Properties"] = draw(values)
    if draw(st.integers(0, 4)) == 0:
        body["Condition"] = draw(st.sampled_from(["C", "D"]) | names | leaves)
    if draw(st.integers(0, 6)) == 0:
        body["Metadata"] = draw(
            st.fixed_dictionaries(
                {"aws:cdk:path": texts, "iacscan": st.dictionaries(st.just("ignore"), values)}
            )
            | values
        )
    if draw(st.integers(0, 8)) == 0:
        body["DependsOn"] = draw(names)
    return body


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    hostile = draw(st.integers(0, 4)) == 0  # then shapes that get the template refused, too
    odd_types = st.sampled_from(EXTRA_TYPES) | st.text(max_size=12)
    if draw(st.integers(0, 9)) < 7:
        # the resource types of part of a fixture: kinds that form topologies together
        fixture = DECODED[draw(st.sampled_from(sorted(DECODED)))]["Resources"]
        pairs = [(str(k), v["Type"]) for k, v in fixture.items()]
        keep = draw(st.integers(1, len(pairs)))
        picked = draw(st.lists(st.sampled_from(pairs), min_size=keep, max_size=keep, unique=True))
        types: dict[str, Any] = dict(picked)
        ids = list(types)
        own = {lid: fixture[lid].get("Properties") for lid in ids}
    else:
        ids = draw(st.lists(names, min_size=1, max_size=10, unique=True))
        own = {}
        types = {
            lid: draw(
                st.sampled_from(TYPES) | odd_types | (leaves if hostile else odd_types)
                if draw(st.integers(0, 5)) == 0
                else st.sampled_from(TYPES)
            )
            for lid in ids
        }
    data: dict[str, Any] = {
        "Resources": {lid: draw(resources(types[lid], types, hostile, own.get(lid))) for lid in ids}
    }
    if draw(st.booleans()):
        data["Parameters"] = draw(
            st.dictionaries(
                names,
                st.fixed_dictionaries(
                    {"Type": st.sampled_from(["String", "CommaDelimitedList", "Number"]) | texts},
                    optional={"Default": values},
                )
                | values,
                max_size=4,
            )
        )
    if draw(st.booleans()):
        condition = st.one_of(
            values,
            st.builds(lambda a, b: {"Fn::Equals": [a, b]}, leaves | references(ids), leaves),
            st.builds(lambda c: {"Fn::Not": [{"Condition": c}]}, st.sampled_from(["C", "D"])),
        )
        data["Conditions"] = draw(
            st.dictionaries(st.sampled_from(["C", "D"]) | names, condition, max_size=4)
        )
    if draw(st.booleans()):
        data["Mappings"] = draw(
            st.dictionaries(names, st.dictionaries(names, values, max_size=3) | values, max_size=3)
        )
    if draw(st.booleans()):
        data["Outputs"] = draw(
            st.dictionaries(
                names,
                st.fixed_dictionaries(
                    {"Value": values}, optional={"Export": st.fixed_dictionaries({"Name": values})}
                )
                | values,
                max_size=3,
            )
        )
    if draw(st.integers(0, 5)) == 0:
        data["Transform"] = draw(values)
    return data


# ----------------------------------------------------------------------------- mutations


def _containers(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and item:
            yield item
            stack.extend(item.values())
        elif isinstance(item, list) and item:
            yield item
            stack.extend(item)


def _keys_of(container: Any) -> list[Any]:
    return list(container) if isinstance(container, dict) else list(range(len(container)))


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(DECODED)))
    data = copy.deepcopy(DECODED[name])
    for _ in range(draw(st.integers(1, 6))):
        containers = list(_containers(data))
        target = draw(st.sampled_from(containers))
        key = draw(st.sampled_from(_keys_of(target)))
        op = draw(st.sampled_from(["drop", "replace", "duplicate", "swap", "wrap", "retype"]))
        if op == "drop":
            del target[key]
        elif op == "replace":
            target[key] = draw(values)
        elif op == "duplicate":  # the same value again, under another key or index
            if isinstance(target, dict):
                target[draw(names)] = copy.deepcopy(target[key])
            else:
                target.append(copy.deepcopy(target[key]))
        elif op == "swap":
            other = draw(st.sampled_from(containers))
            okey = draw(st.sampled_from(_keys_of(other)))
            if other is not target or okey != key:
                target[key], other[okey] = other[okey], target[key]
        elif op == "wrap":
            target[key] = {
                draw(st.sampled_from(INTRINSICS)): draw(
                    st.sampled_from(["as-is", "list", "list3", "junk"]).map(
                        lambda how, v=target[key]: _wrap(how, v)
                    )
                )
            }
        else:  # retype a resource
            resources_ = data.get("Resources")
            if isinstance(resources_, dict) and resources_:
                lid = draw(st.sampled_from(sorted(resources_)))
                if isinstance(resources_[lid], dict):
                    resources_[lid]["Type"] = draw(st.sampled_from(TYPES + EXTRA_TYPES))
        if not isinstance(data, dict) or not data:
            break
    return name, data


def _wrap(how: str, value: Any) -> Any:
    if how == "as-is":
        return value
    if how == "list":
        return [value]
    if how == "list3":
        return [value, value, "x"]
    return {"junk": value}


# ----------------------------------------------------------------------------- the pipeline


def pipeline(*datas: tuple[str, Any]) -> Analysis | None:
    """Load, analyse and render; None when a template is refused with an IacscanError."""
    loaded: list[Template] = []
    for stack, data in datas:
        try:
            loaded.append(template_from_data(data, file=f"{stack}.yaml", stack=stack))
        except IacscanError as err:
            assert err.message and err.hint, err
            continue
    analysis = analyze(
        loaded,
        profile=PROFILE,
        actions=ACTIONS,
        inputs=[InputInfo(path=t.file, kind="template", stacks=(t.stack,)) for t in loaded],
    )
    assert not analysis.internal_errors, [e.message for e in analysis.internal_errors]
    json.loads(render_json(analysis))
    render_text(analysis, color=False)
    render_text(analysis, color=True)
    render_markdown(analysis)
    json.loads(render_sarif(analysis, RULES))
    render_mermaid(analysis.topology)
    render_dot(analysis.topology)
    return analysis


@pytest.fixture(scope="module", autouse=True)
def _counts() -> Iterator[None]:
    yield
    if RAN:
        print(f"\nhypothesis examples (IACSCAN_FUZZ_EXAMPLES={EXAMPLES}):")
        for test, n in sorted(RAN.items()):
            print(f"  {test}: {n}")


@FUZZ
@given(templates())
def test_generated_templates(data: dict[str, Any]) -> None:
    RAN["generated templates"] += 1
    pipeline(("fuzz", data))


@FUZZ
@given(mutated_fixtures())
def test_mutated_fixtures(case: tuple[str, dict[str, Any]]) -> None:
    RAN["mutated fixtures"] += 1
    name, data = case
    pipeline((name, data))


@FUZZ
@given(mutated_fixtures(), templates())
def test_two_stacks(case: tuple[str, dict[str, Any]], other: dict[str, Any]) -> None:
    """Cross-stack resolution (ImportValue, ids with stack prefixes) on hostile pairs."""
    RAN["two stacks (mutated fixture + generated)"] += 1
    name, data = case
    pipeline((name, data), ("other", other))


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from([p.read_bytes() for p in FIXTURES]).flatmap(
            lambda b: st.tuples(
                st.integers(0, len(b)), st.integers(0, 64), st.binary(max_size=8)
            ).map(lambda cut, b=b: b[: cut[0]] + cut[2] + b[cut[0] + cut[1] :])
        ),
    )
)
def test_decoder_bytes(raw: bytes) -> None:
    """Random and corrupted bytes: read as text and decoded, or refused with an IacscanError."""
    RAN["decoder bytes"] += 1
    try:
        text = decode_bytes(raw, "fuzz.yaml")
        data = decode_text(text, "fuzz.yaml")
    except IacscanError as err:
        assert err.message and err.hint and err.file == "fuzz.yaml", err
        return
    pipeline(("fuzz", data))
