"""`helpcenter search ...`: index maintenance."""

import click
from flask.cli import with_appcontext

from helpcenter.search import services


@click.group(help="Search index of the knowledge base.")
def search() -> None:
    pass


@search.command(
    "reindex",
    help="Rebuild the search index from the database, aside, and swap it in atomically; "
    "running workers pick it up within a second.",
)
@with_appcontext
def reindex() -> None:
    generation = services.reindex()
    click.echo(f"Search index rebuilt: {generation}")
