"""The explicit list of extractors, in the order they run (IAM last: it needs the task
definitions that rules, pipes and state machines start)."""

from __future__ import annotations

from collections.abc import Callable

from iacscan.topology.context import ScanContext
from iacscan.topology.extractors import (
    apigateway,
    capacity,
    event_source_mappings,
    eventbridge,
    iam,
    lambda_permissions,
    load_balancers,
    misc_triggers,
    nodes,
    pipes,
    s3_notifications,
    sns_subscriptions,
    stepfunctions,
)

Extractor = tuple[str, Callable[[ScanContext], None]]

EXTRACTORS: tuple[Extractor, ...] = (
    (nodes.ID, nodes.extract),
    (capacity.ID, capacity.extract),
    (s3_notifications.ID, s3_notifications.extract),
    (sns_subscriptions.ID, sns_subscriptions.extract),
    (event_source_mappings.ID, event_source_mappings.extract),
    (eventbridge.ID, eventbridge.extract),
    (apigateway.ID, apigateway.extract),
    (load_balancers.ID, load_balancers.extract),
    (pipes.ID, pipes.extract),
    (stepfunctions.ID, stepfunctions.extract),
    (misc_triggers.ID, misc_triggers.extract),
    (lambda_permissions.ID, lambda_permissions.extract),
    (iam.ID, iam.extract),
)
