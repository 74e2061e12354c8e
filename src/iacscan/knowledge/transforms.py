"""CloudFormation transforms AWS hosts whose output is known (load/macros.py finds the
transforms of a template; topology/build.py and classify/engine.py say what they add)."""

from __future__ import annotations

# Transforms AWS hosts whose output is known: they add no servers, so they are shown but do not
# undecide the level.
KNOWN_AWS_TRANSFORMS = {
    "AWS::SecretsManager-2020-07-23": (
        "a secret rotation function (an AWS Lambda function, billed per invocation)"
    ),
    "AWS::CodeDeployBlueGreen": (
        "CodeDeploy blue/green deployments of the ECS services in the template (replacement "
        "task sets of the same services)"
    ),
}
