"""Signing staff in with Flask-Login: the session's account, and what console templates see."""

from flask import Flask, redirect, request, url_for
from flask_htmx import make_response

from helpcenter.extensions import htmx, login_manager
from helpcenter.i18n import _l
from helpcenter.staff import access, queries, services, sessions


def init_app(app: Flask) -> None:
    login_manager.login_view = "staff.login"
    login_manager.login_message = _l("Sign in to open this page.")
    login_manager.login_message_category = "error"
    # "basic": a changed address or browser marks the session not fresh; "strong" would
    # also drop the player's status-page grants that share the session cookie.
    login_manager.session_protection = "basic"
    login_manager.user_loader(services.load_session_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.context_processor(_template_globals)
    sessions.init_app(app)


def _unauthorized():
    here = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for("staff.login", next=here)
    if htmx:
        # htmx would swap the sign-in page into the panel: send the whole window there.
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _template_globals() -> dict:
    return {
        "staff_access": access,
        "staff_roles": access.ROLE_NAMES,
        "due_state": queries.due_state,
    }
