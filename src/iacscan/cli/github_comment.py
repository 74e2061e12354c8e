"""``iacscan github comment``: the sticky pull-request comment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from iacscan.cli.options import (
    EXIT_USAGE,
)


def github_comment(
    body_file: Annotated[
        Path, typer.Option("--body-file", help="Markdown to post (e.g. a diff report).")
    ],
    repo: Annotated[
        str | None, typer.Option("--repo", help="owner/name (default: $GITHUB_REPOSITORY).")
    ] = None,
    pr: Annotated[
        int | None, typer.Option("--pr", help="Pull request number (default: from the event).")
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            help="Login whose marker comment is updated (default: $IACSCAN_COMMENT_AUTHOR or "
            "github-actions\\[bot], the GITHUB_TOKEN's); others' comments are never touched.",
        ),
    ] = None,
) -> None:
    """Create or update the sticky iacscan comment on the current pull request.

    Reads GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_EVENT_PATH. Exits 0 even
    when commenting is impossible (a fork's read-only token): it prints a ::warning:: instead.
    """
    from iacscan.github import (
        API_URL,
        DEFAULT_AUTHOR,
        post_sticky_comment,
        pr_context_from_env,
        run_url,
        workflow_command,
    )

    try:
        body = body_file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(f"error: cannot read {body_file}: {err}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    context = pr_context_from_env(os.environ)
    repo = repo or (context[0] if context else os.environ.get("GITHUB_REPOSITORY") or None)
    pr = pr or (context[1] if context else None)
    token = os.environ.get("GITHUB_TOKEN", "")
    if repo is None or pr is None:
        typer.echo("::warning::iacscan: not a pull request (no PR number in GITHUB_EVENT_PATH)")
        return
    if not token:
        typer.echo("::warning::iacscan cannot comment: GITHUB_TOKEN is not set")
        return
    result = post_sticky_comment(
        body,
        repo=repo,
        pr_number=pr,
        token=token,
        api_url=os.environ.get("GITHUB_API_URL") or API_URL,
        author=author or os.environ.get("IACSCAN_COMMENT_AUTHOR", "").strip() or DEFAULT_AUTHOR,
        full_report_url=run_url(os.environ),
    )
    typer.echo(result.message if result.posted else workflow_command("warning", result.message))
