"""SAM builds a function with ``Metadata: {BuildMethod: makefile}`` by running ``make
build-<LogicalId>`` in its CodeUri, and one with ``rust-cargolambda`` as the cargo binary named
after it: functions sharing ``CodeUri: .`` and a ``bootstrap`` handler are different binaries,
not copies of one artifact. An ``esbuild`` function is the bundle of its ``EntryPoints``
(truth4 makefile-build-copies; DataDog/serverless-sample-app product-management-service)."""

from __future__ import annotations

from pathlib import Path

import pytest

from iacscan.model import Analysis
from scan_helpers import scan

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: RUNTIME
Resources:
  Orders:
    Type: AWS::SQS::Queue
  GetProductFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: HANDLER
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/product/{id}", Method: get}}
    Metadata:
      META_GET
  OrderWorker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: HANDLER
      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Orders.Arn}}
    Metadata:
      META_WORKER
"""


def run(tmp_path: Path, meta_get: str, meta_worker: str, runtime: str, handler: str) -> Analysis:
    text = (
        TEMPLATE.replace("RUNTIME", runtime)
        .replace("HANDLER", handler)
        .replace("META_GET", meta_get)
        .replace("META_WORKER", meta_worker)
    )
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return scan([path])


def label(a: Analysis) -> tuple[object, object]:
    return (a.verdict.architecture, a.verdict.monolith)


TWO_UNITS = ("distributed", False)
ONE_SHARDED = ("monolith-candidate", True)

ENTRY = "BuildProperties: {EntryPoints: [ENTRY]}"


@pytest.mark.parametrize(
    ("meta", "runtime", "handler"),
    [
        ("BuildMethod: makefile", "provided.al2023", "bootstrap"),
        ("BuildMethod: rust-cargolambda", "provided.al2023", "bootstrap"),
        ("{BuildMethod: makefile, BuildProperties: {}}", "provided.al2", "bootstrap"),
    ],
)
def test_one_binary_per_function_is_two_units(
    tmp_path: Path, meta: str, runtime: str, handler: str
) -> None:
    """Was: 'one deployable unit (GetProductFunction, OrderWorker)', monolith-candidate."""
    a = run(tmp_path, meta, meta, runtime, handler)
    assert label(a) == TWO_UNITS
    assert not any("copies of one artifact" in r for r in a.verdict.architecture_reasons)


def test_esbuild_with_different_entry_points_is_two_units(tmp_path: Path) -> None:
    get = "{BuildMethod: esbuild, " + ENTRY.replace("ENTRY", "src/get.ts") + "}"
    worker = "{BuildMethod: esbuild, " + ENTRY.replace("ENTRY", "src/worker.ts") + "}"
    a = run(tmp_path, get, worker, "nodejs20.x", "index.handler")
    assert label(a) == TWO_UNITS


def test_esbuild_with_the_same_entry_point_is_one_artifact(tmp_path: Path) -> None:
    """The same bundle behind both functions: copies of one artifact, as before."""
    meta = "{BuildMethod: esbuild, " + ENTRY.replace("ENTRY", "src/app.ts") + "}"
    a = run(tmp_path, meta, meta, "nodejs20.x", "index.handler")
    assert label(a) == ONE_SHARDED


@pytest.mark.parametrize("meta", ["{}", "BuildMethod: go1.x", "BuildMethod: python3.12"])
def test_a_build_of_the_code_folder_alone_is_one_artifact(tmp_path: Path, meta: str) -> None:
    """Without a per-function build the folder and handler are the artifact: one unit."""
    a = run(tmp_path, meta, meta, "provided.al2023", "bootstrap")
    assert label(a) == ONE_SHARDED
