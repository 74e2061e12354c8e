"""Run the pipeline the way the CLI does, for tests that assert on the Analysis."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from iacscan.analysis import analyze
from iacscan.classify.profile import load_profile
from iacscan.load.discover import load_paths
from iacscan.load.iam_actions import action_table
from iacscan.model import Analysis


def scan(paths: Sequence[str], definition: str = "johnston-2023") -> Analysis:
    loaded = load_paths([str(p) for p in paths])
    return analyze(
        loaded.templates,
        profile=load_profile(definition),
        actions=action_table(),
        inputs=loaded.inputs,
        errors=loaded.errors,
        notes=loaded.notes,
    )


def edge_set(a: Analysis) -> set[str]:
    return {f"{e.source} -{e.kind}-> {e.target}" for e in a.topology.edges}


def node_roles(a: Analysis) -> dict[str, str]:
    return {n.id: n.role for n in a.topology.nodes}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``iacscan ARGS...`` in a fresh interpreter, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "iacscan", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def git_repo(repo: Path) -> None:
    """Make ``repo`` a git repository with everything in it committed (the base of a diff)."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")


# A layout common in monorepos: ``infra/sam.yaml`` names a state machine definition in the
# sibling folder ``definitions/``; the definition sends to the target substituted into it.
def asl_sending_to(service: str) -> str:
    """A one-task definition calling ``service`` (``sns:publish``, ``sqs:sendMessage``...)."""
    return json.dumps(
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": f"arn:aws:states:::{service}",
                    "Parameters": {"Target": "${Target}"},
                    "End": True,
                }
            },
        }
    )


SIBLING_DEFINITION = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Queue:
    Type: AWS::SQS::Queue
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: ../definitions/machine.asl.json
      DefinitionSubstitutions:
        Target: !Ref {target}
"""


def sibling_definition(top: Path, target: str = "Topic") -> Path:
    """Write (or rewrite) the layout under ``top``: the machine sends to ``target`` (Topic:
    ``sns:publish``, Queue: ``sqs:sendMessage``). Returns ``top``."""
    (top / "infra").mkdir(parents=True, exist_ok=True)
    (top / "definitions").mkdir(exist_ok=True)
    (top / "infra" / "sam.yaml").write_text(SIBLING_DEFINITION.format(target=target))
    service = "sns:publish" if target == "Topic" else "sqs:sendMessage"
    (top / "definitions" / "machine.asl.json").write_text(asl_sending_to(service))
    return top
