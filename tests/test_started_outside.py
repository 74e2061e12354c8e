"""Compute that nothing in scope starts is said at the boundary: its trigger is outside the
scan (a client starting a state machine), which "ingress: none" alone does not say."""

from __future__ import annotations

from pathlib import Path

from iacscan.render.markdown import render_markdown
from iacscan.render.text import render_text
from scan_helpers import scan

TEMPLATE = """
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/sm
      Definition:
        StartAt: Work
        States:
          Work: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "def handler(e, c): pass"}
      Role: arn:aws:iam::123456789012:role/fn
"""


def test_compute_no_one_in_scope_starts_is_named(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TEMPLATE)
    a = scan([path])
    assert a.boundary.ingress == () and a.started_outside() == ["Machine"]
    assert "  started from outside the scan: Machine" in render_text(a, color=False)
    assert "**Started from outside the scan:** Machine" in render_markdown(a)
    # started by a schedule in scope: nothing to say
    path.write_text(
        TEMPLATE
        + "  Nightly:\n    Type: AWS::Events::Rule\n    Properties:\n"
        "      ScheduleExpression: rate(1 day)\n"
        "      Targets: [{Id: m, Arn: !Ref Machine, RoleArn: arn:aws:iam::123456789012:role/r}]\n"
    )
    a = scan([path])
    assert a.started_outside() == []
    assert "started from outside" not in render_text(a, color=False)
