"""``daedalus keys``: create, list and revoke the service's API keys.

A key is printed once, when it is created; the store keeps only its hash, so a lost key is
revoked and replaced, never recovered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from daedalus.cli._errors import reporting_errors
from daedalus.cli._options import JsonOption, StoreOption
from daedalus.cli.serve import service_store
from daedalus.service import KeyStore
from daedalus.service._db import service_db
from daedalus.service.keys import DEFAULT_RATE_PER_MINUTE

__all__ = ["app", "create_command", "list_command", "revoke_command"]

app = typer.Typer(
    name="keys",
    help="API keys of the service (daedalus serve): create, list, revoke.",
    no_args_is_help=True,
)


@contextmanager
def _keys(store: str | None) -> Iterator[KeyStore]:
    layout, source = service_store(store, "keys")
    db = service_db(layout.root, source)
    try:
        yield KeyStore(db)
    finally:
        db.close()


@app.command("create")
def create_command(
    scope: Annotated[
        str, typer.Option("--scope", metavar="SCOPE", help="read (list and read) or write.")
    ] = "read",
    name: Annotated[str, typer.Option("--name", help="A note saying whose key it is.")] = "",
    rate: Annotated[
        int, typer.Option("--rate", min=1, metavar="N", help="Requests allowed per minute.")
    ] = DEFAULT_RATE_PER_MINUTE,
    quota: Annotated[
        float | None,
        typer.Option("--quota", min=0.0, metavar="USD", help="Dollars of model calls per day."),
    ] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key and print it (shown this once; only its hash is stored)."""
    with reporting_errors(), _keys(store) as keys:
        key, token = keys.create(
            scope, name=name, rate_per_minute=rate, quota_usd_per_day=quota
        )
    if as_json:
        typer.echo(json.dumps({"id": key.id, "scope": key.scope, "key": token}))
        return
    err = Console(stderr=True)
    err.print(f"created {key.scope} key {key.id}; it is shown once, keep it now:")
    typer.echo(token)


@app.command("list")
def list_command(store: StoreOption = None, as_json: JsonOption = False) -> None:
    """List the keys (ids, scopes, limits; never the keys themselves)."""
    with reporting_errors(), _keys(store) as opened:
        keys = opened.list()
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in keys]))
        return
    table = Table(box=box.SIMPLE)
    for column in ("id", "scope", "name", "rate/min", "quota $/day", "created", "revoked"):
        table.add_column(column)
    for k in keys:
        table.add_row(
            k.id, k.scope, k.name, str(k.rate_per_minute),
            "-" if k.quota_usd_per_day is None else f"{k.quota_usd_per_day:.2f}",
            f"{k.created_at:%Y-%m-%d %H:%M}",
            "-" if k.revoked_at is None else f"{k.revoked_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)


@app.command("revoke")
def revoke_command(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id (or the key).")],
    store: StoreOption = None,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    with reporting_errors(), _keys(store) as keys:
        key = keys.revoke(key_id)
    typer.echo(f"revoked key {key.id}")
