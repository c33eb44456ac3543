"""`helpcenter staff ...`: staff accounts from the command line."""

import secrets
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from helpcenter.staff import access, services

DEMO_EMAIL = "admin@casino.example"


@click.group(help="Staff accounts of the console.")
def staff() -> None:
    pass


@staff.command(
    "create", help="Create a staff account. Asks for the password unless --password-stdin."
)
@click.option("--email", required=True, help="The address the person signs in with.")
@click.option("--role", required=True, type=click.Choice(access.ROLES), help="What they may do.")
@click.option("--name", default="", help="The name players and colleagues see, e.g. Aysel.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def staff_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        member = services.create_staff(email=email, role=role, password=password, name=name)
    except services.StaffError as problem:
        raise click.BadParameter(str(problem)) from None
    click.echo(f"Created {member.email} ({member.role}).")


@staff.command(
    "demo",
    help="On a database without staff accounts, create a demo admin and print how to sign in. "
    "Does nothing when any account exists.",
)
@with_appcontext
def staff_demo() -> None:
    if services.has_staff():
        return
    password = secrets.token_urlsafe(12)
    services.create_staff(email=DEMO_EMAIL, role=access.ADMIN, password=password, name="Demo admin")
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(
        f"Demo admin created. Sign in at {base}/staff/login as {DEMO_EMAIL} "
        f"with the password {password} (shown only now)."
    )
    if current_app.config["STAFF_2FA"] == "required":
        click.echo(
            "At the first sign-in you set up two-factor authentication: have an authenticator "
            "app (FreeOTP, Google or Microsoft Authenticator...) at hand, or set "
            "HELPCENTER_STAFF_2FA=optional on a single-person install."
        )


@staff.command(
    "reset-2fa",
    help="Turn two-factor authentication off for an account whose phone is lost. Where it is "
    "required, their sessions end and they set it up again at their next sign-in.",
)
@click.option("--email", required=True, help="The address the person signs in with.")
@with_appcontext
def staff_reset_2fa(email: str) -> None:
    try:
        member = services.reset_totp(email=email)
    except services.StaffError as problem:
        raise click.BadParameter(str(problem)) from None
    click.echo(f"Two-factor authentication is off for {member.email}.")
