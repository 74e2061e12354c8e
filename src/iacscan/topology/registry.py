"""The explicit list of extractors, each with the extractors whose results it reads.

Extraction does not depend on the order of this list: ``in_dependency_order`` runs every
extractor after those it ``needs`` (IAM needs the task definitions that rules, schedules, pipes and
state machines start, so that a task role's permissions attach to the started task). Ties keep
the list's order; a test runs the list reversed and compares every fixture's output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iacscan.topology.context import ScanContext
from iacscan.topology.extractors import (
    apigateway,
    autoscaling,
    capacity,
    event_source_mappings,
    eventbridge,
    glue,
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


@dataclass(frozen=True, slots=True)
class Extractor:
    id: str
    run: Callable[[ScanContext], None]
    # Extractors whose results (started tasks, nodes) this one reads.
    needs: tuple[str, ...] = ()


# The extractors that record task definitions started per event (ScanContext.started_tasks).
_STARTS_TASKS = (eventbridge.ID, pipes.ID, stepfunctions.ID)

EXTRACTORS: tuple[Extractor, ...] = (
    Extractor(nodes.ID, nodes.extract),
    Extractor(capacity.ID, capacity.extract),
    Extractor(s3_notifications.ID, s3_notifications.extract),
    Extractor(sns_subscriptions.ID, sns_subscriptions.extract),
    Extractor(event_source_mappings.ID, event_source_mappings.extract),
    Extractor(eventbridge.ID, eventbridge.extract),
    Extractor(apigateway.ID, apigateway.extract),
    Extractor(load_balancers.ID, load_balancers.extract),
    Extractor(pipes.ID, pipes.extract),
    Extractor(stepfunctions.ID, stepfunctions.extract),
    Extractor(misc_triggers.ID, misc_triggers.extract),
    Extractor(sqs_redrive.ID, sqs_redrive.extract),
    Extractor(s3_object_lambda.ID, s3_object_lambda.extract),
    Extractor(osis_pipelines.ID, osis_pipelines.extract),
    Extractor(glue.ID, glue.extract),
    Extractor(autoscaling.ID, autoscaling.extract),
    Extractor(lambda_permissions.ID, lambda_permissions.extract),
    Extractor(iam.ID, iam.extract, needs=_STARTS_TASKS),
)


def in_dependency_order(extractors: Sequence[Extractor]) -> list[tuple[str, Callable[[ScanContext], None]]]:
    """Every extractor after the ones it needs that are in the list; ties keep the list order."""
    present = {e.id for e in extractors}
    done: set[str] = set()
    pending = list(extractors)
    order: list[tuple[str, Callable[[ScanContext], None]]] = []
    while pending:
        for i, e in enumerate(pending):
            if all(n in done or n not in present for n in e.needs):
                order.append((e.id, e.run))
                done.add(e.id)
                del pending[i]
                break
        else:
            cycle = ", ".join(e.id for e in pending)
            raise ValueError(f"extractors need each other in a cycle: {cycle}")
    return order
