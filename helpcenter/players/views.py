"""The signed-in player's pages: the casino's link (or form) that signs a player in, "My
requests", and signing out.

The player's details live in the session (`current`), nowhere else. Without SSO_SECRET or
SSO_JWKS there is no sign-on: /<lang>/sso and /<lang>/requests are 404s.
"""

from flask import abort, redirect, render_template, request, url_for

from helpcenter import ratelimit
from helpcenter.extensions import csrf
from helpcenter.players import current, queries, services
from helpcenter.web import language_blueprint
from helpcenter.web.safety import safe_next

bp = language_blueprint("players", __name__, template_folder="templates")

# A token longer than this is no token the casino made.
MAX_TOKEN_LENGTH = 8192
# Requests on one page of "My requests"; older ones follow a link.
REQUESTS_PER_PAGE = 20


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sso", methods=["GET", "POST"])
@csrf.exempt  # the casino's page posts it: the signed token is the proof
def sso():
    if not services.is_configured():
        abort(404)
    source = request.form if request.method == "POST" else request.args
    token = source.get("jwt", "")
    if not ratelimit.allow("SSO_RATE_LIMIT", ratelimit.client_address()):
        return render_template("players/refused.html", reason="too_many"), 429
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return render_template("players/refused.html", reason="invalid"), 400
    try:
        player = services.sign_in(token)
    except services.SignInRefused as refusal:
        return render_template("players/refused.html", reason=refusal.reason), 401
    current.sign_in(player)
    target = safe_next(source.get("next")) or url_for("articles.home")
    return redirect(target, 303)


@bp.post("/sso/sign-out")
def sign_out():
    current.sign_out()
    return redirect(url_for("articles.home"), 303)


@bp.get("/requests")
def requests():
    """Every request the casino vouched for as the signed-in player's, newest first."""
    if not services.is_configured():
        abort(404)
    player = current.player()
    if player is None:
        return render_template("players/requests.html", player=None, found=[], older=None)
    before = request.args.get("before", "")[:64] or None
    try:
        found = queries.requests_of(player.player_id, limit=REQUESTS_PER_PAGE + 1, before=before)
    except queries.UnknownCursor:
        found = queries.requests_of(player.player_id, limit=REQUESTS_PER_PAGE + 1)
        before = None
    older = found[REQUESTS_PER_PAGE - 1].reference if len(found) > REQUESTS_PER_PAGE else None
    return render_template(
        "players/requests.html",
        player=player,
        found=found[:REQUESTS_PER_PAGE],
        older=older,
        is_first_page=before is None,
    )
