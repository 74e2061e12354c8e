"""Intrinsic functions, parameters, conditions and cross-stack references.

- ``values``: what a resolved value is (``Unknown``, resource references as tokens in strings);
- ``scope``: ``Scope.resolve(stack, value)`` over the stacks in scope;
- ``intrinsics``: one small function per intrinsic, the table ``Scope`` dispatches on;
- ``meter``: what resolving costs, kept apart from what it means (bounds on hostile input).
"""

from iacscan.resolve.scope import Scope
from iacscan.resolve.values import (
    NO_VALUE,
    PLACE_PSEUDO,
    Ref,
    Unknown,
    as_token,
    display,
    has_tokens,
    has_unknown,
    pseudo_only,
    pseudo_token,
    ref_token,
    refs_in,
    split_tokens,
    sub_unknowns,
    unknown_options,
    unknown_parts,
    unknown_reasons,
    unknown_token,
    with_placeholders,
)

__all__ = [
    "NO_VALUE",
    "PLACE_PSEUDO",
    "Ref",
    "Scope",
    "Unknown",
    "as_token",
    "display",
    "has_tokens",
    "has_unknown",
    "pseudo_only",
    "pseudo_token",
    "ref_token",
    "refs_in",
    "split_tokens",
    "sub_unknowns",
    "unknown_options",
    "unknown_parts",
    "unknown_reasons",
    "unknown_token",
    "with_placeholders",
]
