"""`helpcenter sla|outbox|api-key|files ...`: ticket operations."""

import click
from flask.cli import with_appcontext

from helpcenter.staff import services as staff_services
from helpcenter.tickets import emails, encryption, services, storage


@click.group(help="Service-level targets of the tickets.")
def sla() -> None:
    pass


@sla.command(
    "run",
    help="Escalate tickets whose targets were missed (no first response in time -> supervisor; "
    "a complex case unresolved at supervisor level -> investigation team) and close tickets "
    "resolved over 7 days ago. Idempotent; `helpcenter worker` runs it every minute.",
)
@with_appcontext
def sla_run() -> None:
    done = services.run_sla()
    click.echo(
        f"Escalated to supervisor: {done.to_supervisor}; to the investigation team: "
        f"{done.to_investigation}; closed: {done.closed}"
    )


@click.group(help="Emails waiting to be sent.")
def outbox() -> None:
    pass


@outbox.command(
    "send",
    help="Deliver queued emails over SMTP (HELPCENTER_SMTP_HOST), or write them as .eml files "
    "into <data dir>/outbox/ of this host when no SMTP host is set. Failures are retried with "
    "backoff by later runs; an email is never sent twice. `helpcenter worker` runs it every 2 s.",
)
@with_appcontext
def outbox_send() -> None:
    done = emails.send_pending()
    click.echo(f"Sent: {done.sent}; failed, to retry later: {done.failed}")


@click.group("api-key", help="Keys for integrations that file tickets through the API.")
def api_key() -> None:
    pass


@api_key.command("create", help="Create a key named NAME and print it once; only its hash is kept.")
@click.option("--name", required=True, help="Who uses the key, e.g. telegram-bot.")
@click.option(
    "--vouch",
    is_flag=True,
    help="The key may vouch for a player ID and VIP level (the casino's own back office): "
    "its tickets and chats count as the player's, and it may list a player's requests.",
)
@with_appcontext
def api_key_create(name: str, vouch: bool) -> None:
    try:
        key = services.create_api_key(name, can_vouch=vouch)
    except services.ApiKeyError as exc:
        raise click.BadParameter(str(exc), param_hint="--name") from None
    click.echo(key)


@api_key.command("revoke", help="Revoke the key named NAME: it stops working at once.")
@click.argument("name")
@with_appcontext
def api_key_revoke(name: str) -> None:
    try:
        services.revoke_api_key(name)
    except services.ApiKeyError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    click.echo(f"Revoked: {name}")


def _set_vouching(name: str, can_vouch: bool) -> None:
    try:
        changed = services.set_api_key_vouching(name, can_vouch=can_vouch)
    except services.ApiKeyError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    now = "may vouch" if can_vouch else "may not vouch"
    click.echo(f"{name} {now}" + ("" if changed else " (unchanged)"))


@api_key.command(
    "allow-vouching",
    help="Let the active key named NAME vouch for a player ID and VIP level from its next "
    "request on (the casino's own back office).",
)
@click.argument("name")
@with_appcontext
def api_key_allow_vouching(name: str) -> None:
    _set_vouching(name, True)


@api_key.command(
    "forbid-vouching",
    help="Stop the active key named NAME from vouching: from its next request on, a player ID "
    "or VIP level it sends is refused, and it can no longer list a player's requests.",
)
@click.argument("name")
@with_appcontext
def api_key_forbid_vouching(name: str) -> None:
    _set_vouching(name, False)


@api_key.command("list", help="Every key: its name, whether it may vouch, when it was revoked.")
@with_appcontext
def api_key_list() -> None:
    for key in services.api_keys():
        vouching = "may vouch" if key.can_vouch else "-"
        revoked = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        click.echo(f"{key.name}\t{vouching}\t{revoked}")


@click.group(help="Players' files (HELPCENTER_FILE_STORAGE: database or directory).")
def files() -> None:
    pass


@files.command(
    "migrate-to-database",
    help="Move the files in the upload directory (HELPCENTER_FILE_STORAGE_DIR, default "
    "<data dir>/uploads) into the database: each is removed from disk only after its row is "
    "committed. Safe to interrupt and run again; a second run moves nothing.",
)
@with_appcontext
def files_migrate_to_database() -> None:
    done = storage.migrate_to_database()
    click.echo(
        f"Moved into the database: {done.moved}; already there, removed from disk: "
        f"{done.already_there}; left on disk (no attachment refers to them): {done.left}"
    )


@files.command(
    "new-key",
    help="Print a new random key for HELPCENTER_FILE_ENCRYPTION_KEYS (32 bytes, URL-safe "
    "base64). Keep it with the database backups' secrets: files encrypted with it cannot be "
    "read without it.",
)
def files_new_key() -> None:
    click.echo(encryption.new_key())


@files.command(
    "reencrypt",
    help="Encrypt every stored file (database rows and the upload directory of this host) "
    "with the first key of HELPCENTER_FILE_ENCRYPTION_KEYS: plain files are encrypted, files "
    "under an older key re-encrypted. Rows are committed in batches; safe to interrupt and "
    "run again. A file whose key is not configured is left untouched and named; the exit "
    "status is then 1. Recorded in the audit log.",
)
@click.option(
    "--batch-size",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows committed together.",
)
@with_appcontext
def files_reencrypt(batch_size: int) -> None:
    try:
        done = storage.reencrypt(batch_size=batch_size)
    except storage.NoKey as problem:
        raise click.ClickException(str(problem)) from None
    summary = (
        f"Encrypted: {done.encrypted}; re-encrypted from an older key: {done.rotated}; "
        f"already under the current key: {done.current}; left as they are (cannot be "
        f"decrypted): {len(done.failed)}"
    )
    staff_services.record_command("helpcenter files reencrypt", "files_reencrypt", detail=summary)
    for reason in done.failed:
        click.echo(f"Left as it is: {reason}", err=True)
    click.echo(summary)
    if done.failed:
        raise click.exceptions.Exit(1)
