"""Single sign-on from the casino: check its signed token (JWT) and use it up.

The casino sends a player here with a token of at most five minutes signed either with a
shared secret (HS256, SSO_SECRET) or with one of its keys whose public half is in a JWKS
(RS256 or ES256, SSO_JWKS: a file or a URL). The algorithm each source may sign with is fixed
here, never taken from the token: an HS256 token is checked against the secret only, an RS256
or ES256 one against the JWKS only, and anything else (`none` among them) is refused. Each
token's `jti` is stored until the token expires; the unique constraint lets one host only
accept it, so a token signs a player in once.
"""

import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import cast
from urllib.parse import urlencode

import jwt
from flask import current_app
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from helpcenter.extensions import db
from helpcenter.players.models import Player as KnownPlayer
from helpcenter.players.models import UsedSignInToken
from helpcenter.support import current as support_config
from helpcenter.tickets.models import Ticket
from helpcenter.transaction import unit_of_work

log = logging.getLogger(__name__)

# The longest a token may live (exp - iat), and the clock difference forgiven between hosts.
MAX_LIFETIME_SECONDS = 5 * 60
LEEWAY_SECONDS = 10
KEY_ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ("sub", "email", "name", "lang", "iss", "aud", "iat", "exp", "jti")
_LIMITS = {"sub": 40, "email": 254, "name": 200, "lang": 10, "jti": 255}
# A player ID as the contact form and the tickets API take it.
PLAYER_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


class SignInRefused(Exception):
    """The token does not sign anyone in; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Player:
    player_id: str
    email: str
    name: str
    lang: str
    vip: str | None

    def as_session(self) -> dict:
        return {
            "player_id": self.player_id,
            "email": self.email,
            "name": self.name,
            "lang": self.lang,
            "vip": self.vip,
        }


def is_configured() -> bool:
    config = current_app.config
    return bool(config.get("SSO_SECRET") or config.get("SSO_JWKS"))


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One per process: it keeps the fetched key set for five minutes.
    return jwt.PyJWKClient(url, timeout=5)


def _jwks_key(source: str, token: str) -> jwt.PyJWK:
    if source.startswith(("https://", "http://")):
        return _jwks_client(source).get_signing_key_from_jwt(token)
    keys = jwt.PyJWKSet.from_json(Path(source).read_text(encoding="utf-8"))
    kid = jwt.get_unverified_header(token).get("kid")
    if kid is None and len(keys.keys) == 1:
        return keys.keys[0]
    return keys[str(kid)]


def _key(token: str) -> tuple[str | jwt.PyJWK, list[str]]:
    """The key to check `token` with and the one algorithm it may be signed with."""
    config = current_app.config
    algorithm = jwt.get_unverified_header(token).get("alg")
    if algorithm == "HS256" and config.get("SSO_SECRET"):
        return config["SSO_SECRET"], ["HS256"]
    if algorithm in KEY_ALGORITHMS and config.get("SSO_JWKS"):
        return _jwks_key(config["SSO_JWKS"], token), [algorithm]
    raise SignInRefused("invalid", f"algorithm {algorithm!r} not accepted")


def _claims(token: str) -> dict:
    config = current_app.config
    try:
        key, algorithms = _key(token)
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=config["SSO_AUDIENCE"],
            issuer=config["SSO_ISSUER"],
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise SignInRefused("expired", "token expired") from None
    except (jwt.PyJWTError, KeyError, OSError, ValueError, json.JSONDecodeError) as error:
        # KeyError: no key with the token's kid; OSError, ValueError: an unreadable JWKS.
        raise SignInRefused("invalid", f"{type(error).__name__}: {error}") from None


def _player(claims: dict) -> Player:
    for name, limit in _LIMITS.items():
        value = claims[name]
        if isinstance(value, int) and not isinstance(value, bool) and name == "sub":
            value = str(value)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise SignInRefused("invalid", f"claim {name!r} is not a text of at most {limit}")
        claims[name] = value.strip()
    if not PLAYER_ID.fullmatch(claims["sub"]):
        raise SignInRefused("invalid", "claim 'sub' is not Latin letters, digits, - and _")
    iat, exp = claims["iat"], claims["exp"]
    if not isinstance(iat, int | float) or exp - iat > MAX_LIFETIME_SECONDS:
        raise SignInRefused("invalid", "token lives longer than five minutes")
    vip = claims.get("vip")
    levels = support_config().vip_levels
    return Player(
        player_id=claims["sub"],
        email=claims["email"],
        name=claims["name"],
        lang=claims["lang"],
        vip=vip if isinstance(vip, str) and vip in levels else None,
    )


def sign_in(token: str, now: datetime | None = None) -> Player:
    """The player `token` signs in, once: SignInRefused if it is not a valid, unused token.

    At the player's first sign-in, the requests filed earlier with the email the casino
    vouched for become theirs (`link_earlier_requests`).
    """
    claims = _claims(token)
    player = _player(claims)
    now = now or datetime.now(UTC)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    try:
        with unit_of_work():
            # Rows of tokens that no clock difference lets through any more.
            useless = now - timedelta(seconds=LEEWAY_SECONDS + 60)
            db.session.execute(delete(UsedSignInToken).where(UsedSignInToken.expires_at < useless))
            db.session.add(UsedSignInToken(jti=claims["jti"], expires_at=expires, used_at=now))
            db.session.flush()
    except IntegrityError:
        raise SignInRefused("used", f"jti {claims['jti']!r} used before") from None
    first = _remember(player, now)
    log.info("player %s signed in from the casino%s", player.player_id, " (first time)" * first)
    if first:
        link_earlier_requests(player)
    return player


def _remember(player: Player, now: datetime) -> bool:
    """Note the sign-in; True when it is the player's first (on any host)."""
    known = db.session.scalar(select(KnownPlayer).where(KnownPlayer.player_id == player.player_id))
    if known is not None:
        with unit_of_work():
            known.last_signed_in_at = now
        return False
    try:
        with unit_of_work():
            db.session.add(
                KnownPlayer(
                    player_id=player.player_id, first_signed_in_at=now, last_signed_in_at=now
                )
            )
            db.session.flush()
    except IntegrityError:
        # Another host took the same player's first sign-in a moment ago: it links.
        return False
    return True


def link_earlier_requests(player: Player) -> int:
    """Make the requests filed with the player's email (any case) and vouched for by nobody
    theirs, so "My requests" lists them; returns how many. The casino vouched for the email."""
    email = player.email.strip().lower()
    with unit_of_work():
        result = db.session.execute(
            update(Ticket)
            .where(func.lower(Ticket.email) == email, Ticket.verified_player_id.is_(None))
            .values(verified_player_id=player.player_id)
            .execution_options(synchronize_session=False)
        )
    linked = cast(CursorResult, result).rowcount
    if linked:
        log.info("linked %d earlier requests to player %s", linked, player.player_id)
    return linked


def forget_used_tokens(now: datetime | None = None) -> int:
    """Delete the used tokens' rows that no clock difference lets through any more (the
    worker's job; a sign-in also clears them); returns how many."""
    now = now or datetime.now(UTC)
    useless = now - timedelta(seconds=LEEWAY_SECONDS + 60)
    with unit_of_work():
        result = db.session.execute(
            delete(UsedSignInToken).where(UsedSignInToken.expires_at < useless)
        )
    return cast(CursorResult, result).rowcount


def signed_token(*, player_id: str, email: str, name: str, lang: str, vip: str | None) -> str:
    """A token as the casino makes one, signed with SSO_SECRET (HS256), valid two minutes:
    what `helpcenter sso link` prints, to try the sign-on."""
    config = current_app.config
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": player_id,
        "email": email,
        "name": name,
        "lang": lang,
        "iss": config["SSO_ISSUER"],
        "aud": config["SSO_AUDIENCE"],
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
    }
    if vip:
        claims["vip"] = vip
    return jwt.encode(claims, config["SSO_SECRET"], algorithm="HS256")


def sign_in_url(base_url: str, lang: str, token: str, next_path: str | None = None) -> str:
    query = {"jwt": token, **({"next": next_path} if next_path else {})}
    return f"{base_url.rstrip('/')}/{lang}/sso?{urlencode(query)}"
