"""Evidence lines for what SAM generates: the routes of an implicit API and the grants of a
generated role stand where the user wrote the event or the policy's function, never at null
or at another function."""

from __future__ import annotations

from pathlib import Path

from scan_helpers import scan

DATA = Path(__file__).resolve().parent / "data"


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def test_each_implicit_api_route_stands_at_the_function_whose_event_made_it() -> None:
    path = DATA / "sam_implicit_routes.yaml"
    a = scan([path])
    lines = {
        (e.source, e.target): {v.line for v in e.via if "OpenAPI" in v.what}
        for e in a.topology.edges
    }
    # a resource's line is the line after its logical id (where its body starts)
    assert lines == {
        ("ServerlessHttpApi", "GetFn"): {_line_of(path, "  GetFn:") + 1},
        ("ServerlessHttpApi", "PutFn"): {_line_of(path, "  PutFn:") + 1},
        ("ServerlessRestApi", "RestFn"): {_line_of(path, "  RestFn:") + 1},
        ("ServerlessRestApi", "RestFn2"): {_line_of(path, "  RestFn2:") + 1},
    }


def test_a_generated_roles_grant_stands_at_its_function() -> None:
    path = DATA / "sam_generated_policy.yaml"
    a = scan([path])
    [edge] = [e for e in a.topology.edges if (e.source, e.target) == ("Fn", "Jobs")]
    assert {(v.file, v.line) for v in edge.via} == {(str(path), _line_of(path, "  Fn:") + 1)}
