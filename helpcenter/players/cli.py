"""`helpcenter sso link`: a sign-in link as the casino would make it, to try the sign-on."""

import click
from flask import current_app
from flask.cli import with_appcontext

from helpcenter.players import services
from helpcenter.support import current as support_config


@click.group("sso", help="Single sign-on from the casino.")
def sso() -> None:
    pass


@sso.command(
    "link",
    help="Print a sign-in link for one player, signed with HELPCENTER_SSO_SECRET as the casino "
    "signs its tokens (HS256, valid 2 minutes, usable once): for trying the sign-on. The "
    "casino's own links come from the casino.",
)
@click.option("--player-id", required=True, help="The casino's player ID (the token's sub).")
@click.option("--email", required=True, help="The player's verified email.")
@click.option("--name", required=True, help="The player's name.")
@click.option("--lang", type=click.Choice(["az", "ru", "en"]), default="az", show_default=True)
@click.option("--vip", default=None, help="A VIP level of support.yml; none by default.")
@click.option("--next", "next_path", default=None, help="Where to land, e.g. /az/contact.")
@click.option(
    "--base-url", default="http://127.0.0.1:5000", show_default=True, help="The help center."
)
@with_appcontext
def link(player_id, email, name, lang, vip, next_path, base_url) -> None:
    if not current_app.config.get("SSO_SECRET"):
        raise click.UsageError("HELPCENTER_SSO_SECRET is not set: there is no sign-on to try.")
    if not services.PLAYER_ID.fullmatch(player_id):
        raise click.BadParameter("1 to 40 Latin letters, digits, - and _", param_hint="--player-id")
    levels = support_config().vip_levels
    if vip is not None and vip not in levels:
        raise click.BadParameter(f"not one of: {', '.join(levels)}", param_hint="--vip")
    token = services.signed_token(player_id=player_id, email=email, name=name, lang=lang, vip=vip)
    click.echo(services.sign_in_url(base_url, lang, token, next_path))
