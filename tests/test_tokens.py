"""The token helpers of resolve/values.py: the only place that knows the token format."""

from __future__ import annotations

from iacscan.resolve import (
    has_tokens,
    has_unknown,
    pseudo_only,
    pseudo_token,
    ref_token,
    sub_unknowns,
    unknown_reasons,
    unknown_token,
)

ARN = f"arn:{pseudo_token('AWS::Partition')}:sqs:{pseudo_token('AWS::Region')}:1:q"


def test_pseudo_only_is_true_only_when_every_token_is_a_pseudo_parameter() -> None:
    assert pseudo_only(ARN)
    assert pseudo_only(ARN, {"AWS::Partition", "AWS::Region"})
    assert not pseudo_only(ARN, {"AWS::Partition"})  # the region is not one of the names
    assert not pseudo_only("arn:aws:sqs:us-east-1:1:q")  # no token at all
    assert not pseudo_only(ARN + ref_token("s", "Queue", "Arn"))
    assert not pseudo_only(ARN + unknown_token("parameter Q has no default"))
    assert not pseudo_only(ARN + "\x01")  # a stray opening mark is not a pseudo parameter


def test_unknown_parts_are_found_and_replaced_in_order() -> None:
    text = (
        f"arn:{pseudo_token('AWS::Partition')}:events:"
        f"{unknown_token('parameter A has no default')}:"
        f"{ref_token('s', 'Bus', 'Name')}/{unknown_token('import X is not exported')}"
    )
    assert has_tokens(text) and has_unknown(text)
    assert not has_unknown(ARN) and has_tokens(ARN)
    assert unknown_reasons(text) == ["parameter A has no default", "import X is not exported"]
    replaced = sub_unknowns(text, lambda reason: "<" + reason.split()[1] + ">")
    assert replaced == (
        f"arn:{pseudo_token('AWS::Partition')}:events:<A>:{ref_token('s', 'Bus', 'Name')}/<X>"
    )


def test_placeholders_let_an_arn_with_pseudo_parameters_split_at_its_own_colons() -> None:
    from iacscan.resolve import with_placeholders

    text = (
        f"arn:{pseudo_token('AWS::Partition')}:states:{pseudo_token('AWS::Region')}:1:"
        f"stateMachine:{pseudo_token('AWS::AccountId')}-flow"
    )
    flat, back = with_placeholders(text)
    parts = flat.split(":")
    assert len(parts) == 7 and parts[2] == "states"
    assert back(parts[6]) == "${AWS::AccountId}-flow"
    assert (
        back(flat)
        == "arn:${AWS::Partition}:states:${AWS::Region}:1:stateMachine:${AWS::AccountId}-flow"
    )
