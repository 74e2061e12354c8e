"""Tests for iacscan.topology.asl: walking Amazon States Language definitions."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import iacscan  # noqa: F401
except ImportError:  # the project is not installed in the venv: use the src layout directly
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pytest  # noqa: E402

from iacscan.topology.asl import (  # noqa: E402
    MAX_DEPTH,
    AslShape,
    AslTask,
    parse_definition_text,
    parse_integration,
    walk,
)


def by_path(shape: AslShape) -> dict[str, AslTask]:
    return {task.path: task for task in shape.tasks}


# --------------------------------------------------------------------------- fixtures

PRIME_VIDEO: dict[str, object] = {
    "Comment": "Prime-Video-like stream monitoring",
    "StartAt": "ProcessFrames",
    "States": {
        "ProcessFrames": {
            "Type": "Map",
            "ItemsPath": "$.frames",
            "Iterator": {
                "StartAt": "Convert",
                "States": {
                    "Convert": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {
                            "FunctionName": "${ConverterArn}",
                            "Payload.$": "$",
                        },
                        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                        "Next": "Detect",
                    },
                    "Detect": {
                        "Type": "Parallel",
                        "Branches": [
                            {
                                "StartAt": "DetectA",
                                "States": {
                                    "DetectA": {
                                        "Type": "Task",
                                        "Resource": "arn:aws:states:::lambda:invoke",
                                        "Parameters": {"FunctionName": "${DetectorAArn}"},
                                        "End": True,
                                    }
                                },
                            },
                            {
                                "StartAt": "DetectB",
                                "States": {
                                    "DetectB": {
                                        "Type": "Task",
                                        "Resource": {"Fn::GetAtt": ["DetectorB", "Arn"]},
                                        "End": True,
                                    }
                                },
                            },
                        ],
                        "Next": "Notify",
                    },
                    "Notify": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn": "${DefectTopic}", "Message.$": "$"},
                        "End": True,
                    },
                },
            },
            "Next": "MoreFrames",
        },
        "MoreFrames": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.more", "BooleanEquals": True, "Next": "ProcessFrames"},
            ],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_prime_video_shape() -> None:
    shape = walk(PRIME_VIDEO)
    tasks = by_path(shape)
    assert set(tasks) == {
        "ProcessFrames/Convert",
        "ProcessFrames/Detect/branch1/DetectA",
        "ProcessFrames/Detect/branch2/DetectB",
        "ProcessFrames/Notify",
    }
    # Document order, outer states before nested ones.
    assert [t.name for t in shape.tasks] == ["Convert", "DetectA", "DetectB", "Notify"]

    convert = tasks["ProcessFrames/Convert"]
    assert (convert.service, convert.action, convert.pattern, convert.sdk) == (
        "lambda",
        "invoke",
        "request",
        False,
    )
    assert convert.parameters["FunctionName"] == "${ConverterArn}"
    assert convert.in_map and not convert.in_parallel and convert.in_loop

    detect_a = tasks["ProcessFrames/Detect/branch1/DetectA"]
    assert detect_a.in_map and detect_a.in_parallel and detect_a.in_loop
    assert detect_a.parameters == {"FunctionName": "${DetectorAArn}"}

    detect_b = tasks["ProcessFrames/Detect/branch2/DetectB"]
    assert detect_b.resource == {"Fn::GetAtt": ["DetectorB", "Arn"]}
    assert (detect_b.service, detect_b.action, detect_b.pattern, detect_b.sdk) == (
        None,
        None,
        None,
        False,
    )
    assert detect_b.parameters == {}

    notify = tasks["ProcessFrames/Notify"]
    assert (notify.service, notify.action) == ("sns", "publish")
    assert notify.in_map and not notify.in_parallel

    assert len(shape.maps) == 1
    frames = shape.maps[0]
    assert frames.path == "ProcessFrames"
    assert not frames.distributed
    assert frames.execution_type is None
    assert frames.items_from == "$.frames"
    assert frames.reader is None and frames.writer is None

    assert shape.parallels == (("ProcessFrames/Detect", 2),)
    assert shape.loops == (("ProcessFrames", "MoreFrames"),)
    # ProcessFrames, Convert, Detect, DetectA, DetectB, Notify, MoreFrames, Done
    assert shape.state_count == 8
    assert not shape.wait_in_loop
    assert not shape.truncated


def test_no_loop_means_nothing_in_loop() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True},
        },
    }
    shape = walk(definition)
    assert shape.loops == ()
    assert {(t.name, t.service, t.action, t.in_loop) for t in shape.tasks} == {
        ("A", "sqs", "sendMessage", False),
        ("B", "dynamodb", "putItem", False),
    }


def test_distributed_map_with_item_reader_and_result_writer() -> None:
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket": "${InputBucket}", "Key": "items.csv"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "Work",
                    "States": {
                        "Work": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": "${WorkerArn}"},
                            "End": True,
                        }
                    },
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "${OutputBucket}", "Prefix": "out"},
                },
                "End": True,
            }
        },
    }
    shape = walk(definition)
    (fan,) = shape.maps
    assert fan.path == "Fan"
    assert fan.distributed
    assert fan.execution_type == "EXPRESS"
    assert fan.items_from == "ItemReader arn:aws:states:::s3:getObject"
    assert fan.reader is not None and fan.writer is not None
    assert (fan.reader.service, fan.reader.action, fan.reader.path) == (
        "s3",
        "getObject",
        "Fan/ItemReader",
    )
    assert fan.reader.parameters["Bucket"] == "${InputBucket}"
    assert not fan.reader.in_map
    assert (fan.writer.service, fan.writer.action) == ("s3", "putObject")
    assert fan.writer.parameters["Bucket"] == "${OutputBucket}"
    # Reader and writer are not Task states.
    assert [t.path for t in shape.tasks] == ["Fan/Work"]
    assert shape.tasks[0].in_map


def test_inline_item_processor_has_no_execution_type() -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE", "ExecutionType": "EXPRESS"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    shape = walk(definition)
    assert [(m.path, m.distributed, m.execution_type, m.items_from) for m in shape.maps] == [
        ("M", False, None, None)
    ]
    assert shape.state_count == 2


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("arn:aws:states:::ecs:runTask.sync", ("ecs", "runTask", "sync", False)),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            ("states", "startExecution", "sync", False),
        ),
        ("arn:aws:states:::aws-sdk:s3:putObject", ("s3", "putObject", "request", True)),
        (
            "arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
            ("sqs", "sendMessage", "waitForTaskToken", True),
        ),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            ("lambda", "invoke", "waitForTaskToken", False),
        ),
        ("arn:aws:states:::events:putEvents", ("events", "putEvents", "request", False)),
        ("arn:aws:states:::batch:submitJob.sync", ("batch", "submitJob", "sync", False)),
        ("arn:aws:states:::glue:startJobRun", ("glue", "startJobRun", "request", False)),
        ("arn:aws-cn:states:::sns:publish", ("sns", "publish", "request", False)),
        (
            "arn:${AWS::Partition}:states:::sqs:sendMessage",
            ("sqs", "sendMessage", "request", False),
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:my-fn",
            ("lambda", "invoke", None, False),
        ),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST",
            ("lambda", "invoke", None, False),
        ),
        (
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}",
            ("lambda", "invoke", None, False),
        ),
        (
            "arn:aws:states:us-east-1:123456789012:activity:Approve",
            ("activity", None, None, False),
        ),
        ("${ConverterArn}", (None, None, None, False)),
        ("arn:aws:states:::", (None, None, None, False)),
        ("arn:aws:sqs:us-east-1:123456789012:queue", (None, None, None, False)),
        ("", (None, None, None, False)),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, (None, None, None, False)),
        ({"Fn::Sub": "arn:${AWS::Partition}:states:::sns:publish"}, (None, None, None, False)),
        (None, (None, None, None, False)),
        (42, (None, None, None, False)),
    ],
)
def test_parse_integration(
    resource: object, expected: tuple[str | None, str | None, str | None, bool]
) -> None:
    assert parse_integration(resource) == expected


def test_task_kinds_in_a_definition() -> None:
    definition = {
        "StartAt": "RunContainer",
        "States": {
            "RunContainer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::ecs:runTask.sync",
                "Parameters": {"Cluster": "${Cluster}", "TaskDefinition": "${TaskDef}"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "Save",
            },
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": "${Bucket}", "Key": "k", "Body.$": "$"},
                "Next": "Legacy",
            },
            "Legacy": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:legacy",
                "Next": "Approve",
            },
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "${Queue}", "MessageBody": {"Token.$": "$$.Task.Token"}},
                "End": True,
            },
            "Failed": {"Type": "Fail"},
        },
    }
    shape = walk(definition)
    got = {
        t.name: (t.service, t.action, t.pattern, t.sdk, t.in_map, t.in_parallel, t.in_loop)
        for t in shape.tasks
    }
    assert got == {
        "RunContainer": ("ecs", "runTask", "sync", False, False, False, False),
        "Save": ("s3", "putObject", "request", True, False, False, False),
        "Legacy": ("lambda", "invoke", None, False, False, False, False),
        "Approve": ("sqs", "sendMessage", "waitForTaskToken", False, False, False, False),
    }
    assert by_path(shape)["RunContainer"].parameters["Cluster"] == "${Cluster}"
    assert shape.state_count == 5


def test_jsonata_arguments_and_items() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.orders %}",
                "ItemProcessor": {
                    "StartAt": "Put",
                    "States": {
                        "Put": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::dynamodb:putItem",
                            "Arguments": {
                                "TableName": "${OrdersTable}",
                                "Item": "{% $states.input %}",
                            },
                            "End": True,
                        }
                    },
                },
                "Next": "Literal",
            },
            "Literal": {"Type": "Map", "Items": [1, 2], "ItemProcessor": {}, "End": True},
        },
    }
    shape = walk(definition)
    (put,) = shape.tasks
    assert put.path == "Each/Put"
    assert put.parameters == {"TableName": "${OrdersTable}", "Item": "{% $states.input %}"}
    assert (put.service, put.action, put.in_map) == ("dynamodb", "putItem", True)
    assert [(m.path, m.items_from) for m in shape.maps] == [
        ("Each", "{% $states.input.orders %}"),
        ("Literal", "[1, 2]"),
    ]


def test_polling_loop_with_wait() -> None:
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::glue:startJobRun",
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Poll"},
            "Poll": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:glue:getJobRun",
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Next": "Done?",
            },
            "Done?": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.state", "StringEquals": "RUNNING", "Next": "Wait"},
                    {"Variable": "$.state", "StringEquals": "FAILED", "Next": "Fail"},
                ],
                "Default": "Ok",
            },
            "Fail": {"Type": "Fail"},
            "Ok": {"Type": "Succeed"},
        },
    }
    shape = walk(definition)
    assert shape.wait_in_loop
    assert shape.loops == (("Wait", "Poll", "Done?"),)
    assert {t.name: t.in_loop for t in shape.tasks} == {"Start": False, "Poll": True}


def test_self_loop_catch_loop_and_cycle_cap() -> None:
    retry_self = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}],
                "End": True,
            }
        },
    }
    shape = walk(retry_self)
    assert shape.loops == (("A",),)
    assert shape.tasks[0].in_loop

    # A complete graph on 8 states has thousands of elementary cycles: capped at 50.
    names = [f"S{i}" for i in range(8)]
    complete = {
        "StartAt": "S0",
        "States": {
            n: {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": m} for m in names],
                "Default": n,
            }
            for n in names
        },
    }
    shape = walk(complete)
    assert len(shape.loops) == 50
    assert len(set(shape.loops)) == 50
    assert all(set(cycle) <= set(names) for cycle in shape.loops)


def test_map_in_a_parallel_not_on_a_loop() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "M",
                        "States": {
                            "M": {
                                "Type": "Map",
                                "ItemProcessor": {
                                    "StartAt": "T",
                                    "States": {
                                        "T": {
                                            "Type": "Task",
                                            "Resource": "arn:aws:states:::events:putEvents",
                                            "End": True,
                                        }
                                    },
                                },
                                "End": True,
                            }
                        },
                    }
                ],
                "End": True,
            }
        },
    }
    shape = walk(definition)
    (task,) = shape.tasks
    assert task.path == "P/branch1/M/T"
    assert (task.in_map, task.in_parallel, task.in_loop) == (True, True, False)
    assert shape.parallels == (("P", 1),)
    assert [m.path for m in shape.maps] == ["P/branch1/M"]


# --------------------------------------------------------------------------- malformed input

EMPTY = AslShape(tasks=(), maps=(), parallels=(), loops=(), state_count=0, wait_in_loop=False)


@pytest.mark.parametrize(
    "definition",
    [
        {},
        {"StartAt": "A"},
        {"States": ["A", "B"]},
        {"States": "nope"},
        {"States": None},
        {"States": {1: {"Type": "Task"}, "A": "not a state", "B": None}},
    ],
)
def test_unreadable_states_give_an_empty_shape(definition: dict[object, object]) -> None:
    assert walk(definition) == EMPTY  # type: ignore[arg-type]


def test_not_a_mapping_at_all() -> None:
    assert walk(["States"]) == EMPTY  # type: ignore[arg-type]
    assert walk(None) == EMPTY  # type: ignore[arg-type]


def test_next_to_nowhere_and_odd_fields() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": "not a mapping",
                "Next": "Nowhere",
                "Catch": "nope",
            },
            "B": {"Type": "Choice", "Choices": [None, {"Next": 3}, {"Next": "Ghost"}]},
            "C": {"Type": "Parallel", "Branches": "nope"},
            "D": {"Type": "Parallel", "Branches": [None, {"States": []}, {"StartAt": "X"}]},
            "E": {"Type": "Map", "Iterator": "nope", "ItemProcessor": None},
            "F": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": "x", "States": {"G": 1}}},
            "H": {"Type": 7},
            "I": {},
        },
    }
    shape = walk(definition)
    (a,) = shape.tasks
    assert (a.name, a.service, a.parameters, a.in_loop) == ("A", "lambda", {}, False)
    assert shape.loops == ()
    assert shape.parallels == (("C", 0), ("D", 3))
    assert [(m.path, m.distributed, m.items_from) for m in shape.maps] == [
        ("E", False, None),
        ("F", False, None),
    ]
    assert shape.state_count == 8
    assert not shape.truncated


def nested_parallels(depth: int) -> dict[str, object]:
    inner: dict[str, object] = {
        "StartAt": "Leaf",
        "States": {
            "Leaf": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}
        },
    }
    for _ in range(depth):
        inner = {
            "StartAt": "P",
            "States": {"P": {"Type": "Parallel", "Branches": [inner], "End": True}},
        }
    return inner


def test_deeply_nested_parallels_do_not_crash() -> None:
    shape = walk(nested_parallels(150))
    assert shape.truncated
    assert shape.tasks == ()  # the leaf is below the depth limit
    assert shape.state_count == MAX_DEPTH + 1
    assert len(shape.parallels) == MAX_DEPTH + 1
    assert shape.parallels[0] == ("P", 1)
    assert shape.parallels[1] == ("P/branch1/P", 1)


def test_nesting_within_the_limit_is_walked() -> None:
    shape = walk(nested_parallels(5))
    assert not shape.truncated
    (leaf,) = shape.tasks
    assert leaf.path == "/".join(["P/branch1"] * 5) + "/Leaf"
    assert leaf.in_parallel and not leaf.in_map


def test_line_numbers_from_marked_values() -> None:
    class Mark:
        def __init__(self, line: int) -> None:
            self.line = line

    class MarkedDict(dict[str, object]):
        start_mark: Mark

    state = MarkedDict(Type="Task", Resource="arn:aws:states:::sns:publish", End=True)
    state.start_mark = Mark(11)  # 0-based, as PyYAML keeps it
    shape = walk({"StartAt": "N", "States": {"N": state}})
    assert shape.tasks[0].line == 12
    assert walk(PRIME_VIDEO).tasks[0].line is None


# --------------------------------------------------------------------------- text


def test_parse_definition_text_ok() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}'
    definition = parse_definition_text(text)
    assert definition["StartAt"] == "A"
    assert walk(definition).state_count == 1


def test_parse_definition_text_invalid_json_has_a_line() -> None:
    text = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass",}\n  }\n}'
    with pytest.raises(ValueError, match=r"^line 4: "):
        parse_definition_text(text)


def test_parse_definition_text_empty() -> None:
    with pytest.raises(ValueError, match=r"^line 1: "):
        parse_definition_text("")


@pytest.mark.parametrize(
    ("text", "line"),
    [("[1, 2]", 1), ('\n\n  "just a string"', 3), ("null", 1), ("42", 1)],
)
def test_parse_definition_text_not_an_object(text: str, line: int) -> None:
    with pytest.raises(ValueError, match=rf"^line {line}: .*JSON object"):
        parse_definition_text(text)


def test_parse_definition_text_too_deep() -> None:
    with pytest.raises(ValueError, match=r"^line \d+: "):
        parse_definition_text("[" * 100_000 + "]" * 100_000)
