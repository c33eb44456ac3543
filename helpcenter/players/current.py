"""The player signed in from the casino in this browser session, if any.

The session holds what the casino's token vouched for (`services.Player.as_session`) and
nothing else; every page that treats a player as known reads it through `player()`.
"""

from flask import session

from helpcenter.players.services import Player

SESSION_KEY = "player"


def player() -> Player | None:
    """The signed-in player, or None for a visitor the casino did not vouch for."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Player(**data)
    except TypeError:
        # A session from an older shape of the claims: as if not signed in.
        return None


def sign_in(new: Player) -> None:
    """Sign `new` in; another player's session (a shared device) is ended first, with the
    requests and chats it could open."""
    signed_in = player()
    if signed_in is not None and signed_in.player_id != new.player_id:
        session.clear()
    session[SESSION_KEY] = new.as_session()


def sign_out() -> None:
    """End the player's session, with every request and chat it could open: the next person at
    this device starts afresh."""
    session.clear()


def owns(verified_player_id: str | None) -> bool:
    """Whether the request's owner, as the casino vouched, is the signed-in player."""
    signed_in = player()
    return signed_in is not None and verified_player_id == signed_in.player_id
