"""Limits of a staff session: an idle timeout, an absolute lifetime, and "sign out everywhere".

A sign-in stores its time, the time of the last activity and the member's session generation
in the (signed cookie) session; each request checks them before any view runs. Automatic
refreshes (htmx GETs: the queue and chat inbox polls) are not activity, so a console left open
still times out. Bumping `StaffMember.session_generation` ends every session made before.
"""

import time
from datetime import UTC, datetime

from flask import Flask, current_app, request, session
from flask_login import current_user, login_user, logout_user

from helpcenter import ratelimit
from helpcenter.staff import services

SIGNED_IN_AT = "staff_signed_in_at"
ACTIVE_AT = "staff_active_at"
GENERATION = "staff_generation"
# When the member last proved who they are (signing in, or the re-check before an export).
CONFIRMED_AT = "staff_confirmed_at"
CONFIRM_SECONDS = 300
# Why the last session ended, for the sign-in page to say ("idle", "lifetime", "everywhere").
ENDED = "staff_session_ended"


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time."""
    return time.time()


def now() -> datetime:
    """`clock()` as an aware UTC datetime, for what the database keeps."""
    return datetime.fromtimestamp(clock(), UTC)


def init_app(app: Flask) -> None:
    app.before_request(_check)


def start(member) -> None:
    """Sign `member` in (Flask-Login) and start the session's clocks."""
    login_user(member)
    now = int(clock())
    session[SIGNED_IN_AT] = now
    session[ACTIVE_AT] = now
    session[GENERATION] = member.session_generation
    session[CONFIRMED_AT] = now
    session.pop(ENDED, None)


def confirmed() -> None:
    """Note that the member just proved who they are again."""
    session[CONFIRMED_AT] = int(clock())


def recently_confirmed() -> bool:
    """Whether the member proved who they are less than CONFIRM_SECONDS ago."""
    at = session.get(CONFIRMED_AT)
    return isinstance(at, int) and clock() - at <= CONFIRM_SECONDS


def end() -> None:
    """Sign out of this session (Flask-Login) and forget its clocks."""
    logout_user()
    for key in (SIGNED_IN_AT, ACTIVE_AT, GENERATION, CONFIRMED_AT):
        session.pop(key, None)


def is_activity() -> bool:
    """Whether this request is the member's doing: anything but an htmx GET (a poll)."""
    return not (request.method == "GET" and request.headers.get("HX-Request"))


def _why_over(now: float) -> str | None:
    config = current_app.config
    signed_in_at = session.get(SIGNED_IN_AT)
    active_at = session.get(ACTIVE_AT)
    if not isinstance(signed_in_at, int) or not isinstance(active_at, int):
        return "lifetime"  # a session from before the limits: sign in again
    if now - signed_in_at > float(config["STAFF_SESSION_HOURS"]) * 3600:
        return "lifetime"
    if now - active_at > float(config["STAFF_IDLE_MINUTES"]) * 60:
        return "idle"
    return None


_DETAILS = {"idle": "idle", "lifetime": "session lifetime", "everywhere": "signed out everywhere"}


def _check() -> None:
    """Before each request: end a staff session past a limit, else note the activity."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    now = clock()
    why = _why_over(now)
    member = None
    if why is None:
        member = current_user._get_current_object() if current_user.is_authenticated else None
        if member is not None and session.get(GENERATION) != member.session_generation:
            why = "everywhere"
    if why is None:
        if is_activity():
            session[ACTIVE_AT] = int(now)
        return
    if member is None:
        member = services.load_pending_user(str(session.get("_user_id", "")))
    if member is not None:
        services.record_now(
            member, "logout", detail=_DETAILS[why], address=ratelimit.client_address()
        )
    end()
    session[ENDED] = why
