"""`helpcenter search ...`: index maintenance."""

import click
from flask.cli import with_appcontext

from helpcenter.search import services


@click.group(help="Search index of the knowledge base.")
def search() -> None:
    pass


@search.command(
    "reindex",
    help="Rebuild this host's search index from the database, aside, and swap it in "
    "atomically; its running workers pick it up within a second. (Content changes reach every "
    "host's index by themselves within seconds; this is for a damaged index.)",
)
@with_appcontext
def reindex() -> None:
    generation = services.reindex()
    click.echo(f"Search index rebuilt: {generation}")


@search.command(
    "status",
    help="Show this host's search index and whether it has the current content: the content "
    "version is the newest change of published content in the database.",
)
@with_appcontext
def status() -> None:
    state = services.index_status()
    if state.generation is None:
        click.echo(f"No search index yet; content version {state.content_version}.")
        return
    if state.indexed_version == state.content_version:
        behind = "up to date"
    else:
        behind = "behind: running workers bring it up to date within seconds"
    indexed = "unknown" if state.indexed_version is None else state.indexed_version
    click.echo(
        f"Search index {state.generation}: content version {indexed} of "
        f"{state.content_version} ({behind})."
    )


@search.command(
    "report",
    help="List the most frequent searches and the searches that found nothing (content gaps "
    "for editors) over the last DAYS days.",
)
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@with_appcontext
def report(days: int, limit: int) -> None:
    top, empty = services.report(days=days, limit=limit)
    header = f"{'searches':>8}  {'results':>7}  {'opened':>6}  lang  query"
    for title, rows in (
        (f"Top queries, last {days} days", top),
        ("Queries that found nothing", empty),
    ):
        click.echo(title)
        click.echo(header)
        for row in rows:
            counts = f"{row.searches:>8}  {row.avg_results:>7.1f}  {row.opened:>6}"
            click.echo(f"{counts}  {row.lang:<4}  {row.query}")
        if not rows:
            click.echo("  (none)")
        click.echo()
