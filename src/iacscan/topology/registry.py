"""The explicit list of extractors, in the order they run (IAM last: it needs the task
definitions that rules, pipes and state machines start)."""

from __future__ import annotations

from collections.abc import Callable

from iacscan.topology.context import ScanContext
from iacscan.topology.extractors import (
    apigateway,
    event_source_mappings,
    eventbridge,
    iam,
    lambda_permissions,
    load_balancers,
    misc_triggers,
    nodes,
    osis_pipelines,
    pipes,
    s3_notifications,
    s3_object_lambda,
    sns_subscriptions,
    sqs_redrive,
    stepfunctions,
)

Extractor = tuple[str, Callable[[ScanContext], None]]

EXTRACTORS: tuple[Extractor, ...] = (
    (nodes.ID, nodes.extract),
    (s3_notifications.ID, s3_notifications.extract),
    (sns_subscriptions.ID, sns_subscriptions.extract),
    (event_source_mappings.ID, event_source_mappings.extract),
    (eventbridge.ID, eventbridge.extract),
    (apigateway.ID, apigateway.extract),
    (load_balancers.ID, load_balancers.extract),
    (pipes.ID, pipes.extract),
    (stepfunctions.ID, stepfunctions.extract),
    (misc_triggers.ID, misc_triggers.extract),
    (sqs_redrive.ID, sqs_redrive.extract),
    (s3_object_lambda.ID, s3_object_lambda.extract),
    (osis_pipelines.ID, osis_pipelines.extract),
    (lambda_permissions.ID, lambda_permissions.extract),
    (iam.ID, iam.extract),
)
