"""Single sign-on pages: the casino's link (or form) that signs a player in, and signing out.

The player's details live in the session under PLAYER, nowhere else. Without SSO_SECRET or
SSO_JWKS there is no sign-on: /<lang>/sso is a 404.
"""

from flask import abort, redirect, render_template, request, session, url_for

from helpcenter.extensions import csrf
from helpcenter.players import services
from helpcenter.web import language_blueprint
from helpcenter.web.safety import safe_next

bp = language_blueprint("players", __name__, template_folder="templates")

PLAYER = "player"
# A token longer than this is no token the casino made.
MAX_TOKEN_LENGTH = 8192


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
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return render_template("players/refused.html", reason="invalid"), 400
    try:
        player = services.sign_in(token)
    except services.SignInRefused as refusal:
        return render_template("players/refused.html", reason=refusal.reason), 401
    session[PLAYER] = player.as_session()
    target = safe_next(source.get("next")) or url_for("articles.home")
    return redirect(target, 303)


@bp.post("/sso/sign-out")
def sign_out():
    session.pop(PLAYER, None)
    return redirect(url_for("articles.home"), 303)
