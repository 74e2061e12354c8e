"""``iacscan definitions`` and ``iacscan explain``: what the words mean and where they come from."""

from __future__ import annotations

from typing import Annotated

import typer

from iacscan.cli.options import (
    EXIT_USAGE,
)


def definitions() -> None:
    """List the definition profiles with their criteria and sources."""
    from iacscan.classify.criteria import CRITERIA
    from iacscan.classify.findings.registry import RULES
    from iacscan.classify.profile import DEFAULT, all_profiles

    for p in all_profiles():
        default = " (default)" if p.id == DEFAULT else ""
        typer.echo(f"{p.id}{default}\n  {p.title}")
        typer.echo(f"  passes: {', '.join(sorted(p.passes))}; ECS on EC2 capacity: {p.ecs_on_ec2}")
        for s in p.sources:
            typer.echo(f'  source: {s.author}, "{s.title}" ({s.date}) {s.url}')
        typer.echo("")
    typer.echo("criteria:")
    for c in CRITERIA:
        typer.echo(f"  {c.id}: {c.title}")
    typer.echo("\nrules (costly patterns; `iacscan explain RULE`, `--ignore RULE`):")
    for doc, _ in RULES:
        typer.echo(f"  {doc.id} ({doc.severity}): {doc.title}")


def explain(
    name: Annotated[str, typer.Argument(help="A rule id, criterion id or profile name.")],
) -> None:
    """Print the documentation of a rule, a criterion or a profile."""
    from iacscan.classify.criteria import CRITERIA
    from iacscan.classify.findings.registry import rule_doc
    from iacscan.classify.profile import BUILTIN, load_profile

    doc = rule_doc(name)
    if doc is not None:
        typer.echo(
            f"{doc.id} ({doc.severity}): {doc.title}\n\nWhat it detects: {doc.detects}\n\n"
            f"Why it costs: {doc.why}\n\nWhat to do instead: {doc.instead}\n\nSource: {doc.source}"
        )
        return
    for c in CRITERIA:
        if c.id == name:
            typer.echo(f"{c.id}: {c.title}\n\n{c.text}\n\nSources: {c.sources}")
            return
    if name in BUILTIN:
        p = load_profile(name)
        typer.echo(
            f"{p.id}: {p.title}\npasses: {', '.join(sorted(p.passes))}\necs_on_ec2: {p.ecs_on_ec2}"
        )
        for s in p.sources:
            typer.echo(f'source: {s.author}, "{s.title}" ({s.date}) {s.url}\n  "{s.quote}"')
        return
    import difflib

    from iacscan.classify.findings.registry import RULES

    names = [d.id for d, _ in RULES] + [c.id for c in CRITERIA] + list(BUILTIN)
    close = difflib.get_close_matches(name, names, n=1)
    typer.echo(f"error: no rule, criterion or profile named {name!r}", err=True)
    more = f"did you mean {close[0]}? " if close else ""
    typer.echo(f"hint: {more}`iacscan definitions` lists profiles, criteria and rules", err=True)
    raise typer.Exit(EXIT_USAGE)
