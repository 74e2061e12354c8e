"""``iacscan prices refresh``: the price table, rebuilt from the AWS Price List API."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from iacscan.cli.options import EXIT_OK, DebugOpt
from iacscan.errors import IacscanError

prices_app = typer.Typer(no_args_is_help=True, help="The price table of the cost model.")


@prices_app.command("refresh")
def refresh(
    region: Annotated[
        str, typer.Option("--region", help="Region whose prices to read.")
    ] = "us-east-1",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default prices-REGION.yaml)."),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="AWS profile (as in the AWS CLI).")
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Rebuild the price table from the AWS Price List API (needs AWS credentials with
    pricing:GetProducts); use the file with --prices."""
    from iacscan.cli.runner import fail_with, internal_error

    try:
        from iacscan.cost.prices import DEFAULT_REGION, dump_table, parse_table, shipped_rows
        from iacscan.load.pricing import make_pricing_client, refresh_rows

        base = shipped_rows(DEFAULT_REGION)
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        result = refresh_rows(make_pricing_client(profile), base["rows"], region, today)
        rows = result.rows
        dropped: list[str] = []
        if region != base["region"]:  # a us-east-1 figure is no price for another region
            dropped = result.kept
            rows = {k: v for k, v in rows.items() if k not in set(dropped)}
        data = {"region": region, "rows": rows}
        text = dump_table(data)
        parse_table(data, "refreshed table")  # what is written can be read back
        target = output or Path(f"prices-{region}.yaml")
        target.write_text(text, "utf-8")
    except IacscanError as err:
        fail_with(err, debug)
        return
    except Exception as err:
        internal_error(err, debug)
        return
    typer.echo(f"wrote {target}: {len(result.updated)} row(s) read from the Price List API")
    if dropped:
        typer.echo(f"left out (no {region} price from the API): {', '.join(dropped)}", err=True)
    elif result.kept:
        typer.echo(
            f"kept from the shipped table (the API has no query for them): {', '.join(result.kept)}",
            err=True,
        )
    raise typer.Exit(EXIT_OK)
