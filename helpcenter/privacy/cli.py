"""`helpcenter privacy`: retention (with a dry run), and one player's export and erasure."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from helpcenter.privacy import services


@click.group(help="What is kept about players, for how long, and a player's export and erasure.")
def privacy() -> None:
    pass


def _describe(plan: services.Plan) -> str:
    return (
        f"{len(plan.attachments)} files ({plan.bytes / 1_000_000:.1f} MB) of tickets closed "
        f"before the files' cutoff, {len(plan.tickets)} tickets to anonymize"
    )


@privacy.command(help="Delete the files and anonymize the tickets past their retention.")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; change nothing.")
@with_appcontext
def retention(dry_run: bool) -> None:
    plan = services.plan()
    if dry_run:
        click.echo(f"would delete: {_describe(plan)}")
        for ticket_id in plan.tickets:
            click.echo(f"  anonymize ticket id {ticket_id}")
        return
    done = services.apply(plan)
    click.echo(
        f"deleted {done.files} files ({done.bytes / 1_000_000:.1f} MB), "
        f"anonymized {done.tickets} tickets"
    )


@privacy.command(help="Write a ZIP of everything held about one email address.")
@click.argument("email")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Where to write the ZIP.",
)
@with_appcontext
def export(email: str, output: Path) -> None:
    data, count = services.export(email)
    if not count:
        raise click.ClickException(f"no request was filed with {email}")
    output.write_bytes(data)
    click.echo(f"{count} requests of {email} written to {output}")


@privacy.command(help="Anonymize every request of one email address and delete its files.")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do it: it cannot be undone.")
@with_appcontext
def erase(email: str, yes: bool) -> None:
    found = services.matching(email)
    if not found:
        raise click.ClickException(f"no request was filed with {email}")
    if not yes:
        raise click.ClickException(
            f"{len(found)} requests of {email} would be erased; add --yes to erase them"
        )
    erased = services.erase(email)
    click.echo(f"{erased} requests of {email} erased")
