"""Staff console pages: sign-in, the queue, a ticket and its actions, file downloads, the audit log.

Every page checks the role on the server (`access`); a ticket outside the member's tiers is a
404, as if it did not exist. Ticket actions answer htmx with the redrawn ticket panel and plain
forms with a redirect back (303), each with a message.
"""

import time
from functools import wraps

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required

from helpcenter import ratelimit, support
from helpcenter.extensions import csrf, htmx
from helpcenter.i18n import LANG_COOKIE, _, ngettext
from helpcenter.i18n import best_language as get_locale_code
from helpcenter.staff import access, forms, queries, replies, services, sessions
from helpcenter.staff.audit import action_label
from helpcenter.tickets import actions, encryption, labels, states, storage
from helpcenter.web.pages import varying
from helpcenter.web.safety import bounded_int, safe_next

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates")
# The session key of a sign-in whose password was right, waiting for the second step, and
# how long it waits.
PENDING = "staff_pending"
PENDING_SECONDS = 600


@bp.after_request
def private_headers(response):
    """Console pages are never cached or indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def requires(check):
    """Sign-in, then `check(role)`; a 403 page for a role that may not."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not check(current_user.role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def recently_confirmed(back: str | None = None):
    """Ask for the password again first when the member last gave it over 5 minutes ago; then
    back to this page, or for a form (a POST cannot be replayed) to the `back` endpoint."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_user.is_authenticated and not sessions.recently_confirmed():
                here = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("staff.confirm", next=here or url_for(back or ".home")))
            return view(*args, **kwargs)

        return wrapper

    return decorator


# --- signing in ----------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    # Checked first: a `next` with control characters is refused before anything is done.
    target = _next_target()
    form = forms.LoginForm()
    if request.method == "GET":
        return render_template(
            "staff/login.html", form=form, ended=session.pop(sessions.ENDED, None)
        )
    address = ratelimit.client_address()
    email = (form.email.data or "").strip().casefold()
    if not ratelimit.allow("STAFF_LOGIN_RATE_LIMIT", address) or not ratelimit.allow(
        "STAFF_LOGIN_EMAIL_RATE_LIMIT", ratelimit.email_key(email)
    ):
        return render_template("staff/login.html", form=form, problem="too_many"), 429
    if not form.validate():
        return render_template("staff/login.html", form=form), 422
    member = services.authenticate(
        email=form.email.data, password=form.password.data, address=address
    )
    if member is None:
        return render_template("staff/login.html", form=form, problem="wrong"), 401
    step = services.second_step(member)
    if step is None:
        sessions.start(member)
        return redirect(target or url_for(".home"), 303)
    # The password was right; the session holds only that, and signs nobody in.
    session[PENDING] = {"id": member.get_id(), "at": int(time.time()), "next": target}
    return redirect(url_for(".code" if step == "code" else ".setup_totp"), 303)


def _pending_member():
    """The member whose password was right and who has yet to pass the second step."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return services.load_pending_user(str(pending.get("id", "")))


def _finish_sign_in(member):
    target = session.pop(PENDING, {}).get("next")
    sessions.start(member)
    return target or url_for(".home")


def _code_allowed(member) -> bool:
    """The code step counts like the password step: per client address and per account."""
    return ratelimit.allow(
        "STAFF_LOGIN_RATE_LIMIT", ratelimit.client_address()
    ) and ratelimit.allow("STAFF_CODE_RATE_LIMIT", f"staff:{member.id}")


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    """The second step: a code from the authenticator app, or a recovery code."""
    member = _pending_member()
    if member is None or not member.has_totp:
        return redirect(url_for(".login"), 303)
    form = forms.CodeForm()
    if request.method == "GET":
        return render_template("staff/code.html", form=form)
    if not _code_allowed(member):
        return render_template("staff/code.html", form=form, problem="too_many"), 429
    if not form.validate():
        return render_template("staff/code.html", form=form), 422
    try:
        kind = services.pass_second_step(
            member=member, code=form.code.data, address=ratelimit.client_address()
        )
    except services.WrongCode:
        return render_template("staff/code.html", form=form, problem="wrong"), 401
    if kind == "recovery":
        flash(
            ngettext(
                "You signed in with a recovery code; it will not work again. "
                "%(num)d recovery code is left.",
                "You signed in with a recovery code; it will not work again. "
                "%(num)d recovery codes are left.",
                services.recovery_codes_left(member),
            ),
            "success",
        )
    return redirect(_finish_sign_in(member), 303)


@bp.route("/two-step/setup", methods=["GET", "POST"])
def setup_totp():
    """Set up TOTP: signing in when it is required, or from the account page when optional."""
    signed_in = current_user.is_authenticated
    member = current_user if signed_in else _pending_member()
    if member is None:
        return redirect(url_for(".login"), 303)
    if member.has_totp:
        return redirect(url_for(".account" if signed_in else ".code"), 303)
    secret = services.begin_totp(member=member)
    form = forms.CodeForm()
    shown = {
        "form": form,
        "secret": secret,
        "qr": segno.make(services.totp_uri(member, secret), error="m").svg_data_uri(scale=5),
    }
    if request.method == "GET":
        return render_template("staff/setup_totp.html", **shown)
    if not _code_allowed(member):
        return render_template("staff/setup_totp.html", problem="too_many", **shown), 429
    if not form.validate():
        return render_template("staff/setup_totp.html", **shown), 422
    address = ratelimit.client_address()
    try:
        codes = services.confirm_totp(member=member, code=form.code.data, address=address)
    except services.WrongCode:
        return render_template("staff/setup_totp.html", problem="wrong", **shown), 401
    if signed_in:
        target = url_for(".account")
    else:
        services.sign_in(member, address=address)
        target = _finish_sign_in(member)
    # Shown once, in this answer: the codes are kept only as hashes.
    return render_template("staff/recovery_codes.html", codes=codes, target=target)


@bp.get("/account")
@login_required
def account():
    return render_template(
        "staff/account.html",
        codes_left=services.recovery_codes_left(current_user) if current_user.has_totp else 0,
    )


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm():
    """Enter the password again before an export, then go on to it."""
    target = _next_target() or url_for(".home")
    form = forms.ConfirmForm()
    if request.method == "GET":
        return render_template("staff/confirm.html", form=form)
    if not ratelimit.allow("STAFF_CODE_RATE_LIMIT", f"staff:{current_user.id}"):
        return render_template("staff/confirm.html", form=form, problem="too_many"), 429
    if not form.validate():
        return render_template("staff/confirm.html", form=form), 422
    if not services.reconfirm(
        member=current_user, password=form.password.data, address=ratelimit.client_address()
    ):
        return render_template("staff/confirm.html", form=form, problem="wrong"), 401
    sessions.confirmed()
    return redirect(target, 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link to choose a new password; the same answer whether the account exists."""
    form = forms.ForgotForm()
    if request.method == "GET":
        return render_template("staff/forgot_password.html", form=form)
    address = ratelimit.client_address()
    email = (form.email.data or "").strip().casefold()
    if not ratelimit.allow("STAFF_LOGIN_RATE_LIMIT", address) or not ratelimit.allow(
        "STAFF_RESET_EMAIL_RATE_LIMIT", "reset:" + ratelimit.email_key(email)
    ):
        return render_template("staff/forgot_password.html", form=form, problem="too_many"), 429
    if not form.validate():
        return render_template("staff/forgot_password.html", form=form), 422
    services.request_password_reset(
        email=form.email.data, language=get_locale_code(), now=sessions.now(), address=address
    )
    return render_template("staff/forgot_password.html", form=form, sent=True)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from the emailed link; it ends every session of the account."""
    now = sessions.now()
    if services.password_reset(token, now) is None:
        return render_template("staff/reset_password.html", expired=True), 410
    form = forms.NewPasswordForm()
    if request.method == "GET":
        return render_template("staff/reset_password.html", form=form)
    if not form.validate():
        return render_template("staff/reset_password.html", form=form), 422
    try:
        services.reset_password(
            token=token,
            password=form.password.data,
            now=now,
            address=ratelimit.client_address(),
        )
    except services.LinkExpired:
        return render_template("staff/reset_password.html", expired=True), 410
    if current_user.is_authenticated:
        sessions.end()
    flash(_("Your new password is set. Sign in with it."), "success")
    return redirect(url_for(".login"), 303)


def _next_target() -> str | None:
    """The `next` parameter if it leads inside the console: never another site."""
    return safe_next(request.args.get("next"), inside="/staff/")


@bp.post("/logout")
@login_required
def logout():
    services.record_now(current_user, "logout", address=ratelimit.client_address())
    sessions.end()
    flash(_("You have signed out."), "success")
    return redirect(url_for(".login"), 303)


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """End every session of this member: other browsers at their next request, this one now."""
    services.sign_out_everywhere(member=current_user, address=ratelimit.client_address())
    sessions.end()
    flash(_("You have signed out everywhere: on every browser and device."), "success")
    return redirect(url_for(".login"), 303)


@bp.get("/language/<code>")
def language(code: str):
    """Switch the console's language (a cookie), then go back."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(_next_target() or url_for(".home"))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/")
@login_required
def home():
    if access.works_tickets(current_user.role):
        return redirect(url_for(".queue"))
    return redirect(url_for("editor.overview"))  # editors: the only other role


# --- the queue ----------------------------------------------------------------------------------


def _filters() -> queries.Filters:
    config = support.current()
    return queries.clean(
        request.args,
        current_user.role,
        topics={t.id for t in config.topics},
        channels={c.id for c in config.channels},
        languages=set(current_app.config["LANGUAGES"]),
    )


@bp.get("/tickets")
@requires(access.works_tickets)
def queue():
    page = queries.queue(_filters(), me=current_user.email)
    context = {
        "page": page,
        "poll_seconds": current_app.config["STAFF_POLL_SECONDS"],
        "tiers": [tier for tier in states.TIERS if access.may_handle(current_user.role, tier)],
        "colleagues": services.staff_for_tier(page.filters.tier),
        "labels": labels,
    }
    if htmx:
        return varying(render_template("staff/_queue.html", **context))
    return varying(render_template("staff/queue.html", **context))


@bp.get("/tickets.csv")
@requires(access.works_tickets)
@recently_confirmed()
def export():
    filters = _filters()
    rows = queries.export_rows(filters, me=current_user.email)
    services.record_now(
        current_user,
        "export_csv",
        detail=f"{len(rows)} tickets; " + str(filters.args()),
        address=ratelimit.client_address(),
    )
    response = current_app.response_class(queries.as_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="tickets-{filters.tier}.csv"'
    return response


# --- one ticket ---------------------------------------------------------------------------------


def _ticket_or_404(ref: str):
    ticket = queries.ticket(ref)
    if ticket is None or not access.may_handle(current_user.role, ticket.tier):
        abort(404)
    return ticket


def _panel(ticket, status: int = 200, **bound):
    """The ticket panel with the actions the table offers this member now: htmx gets the panel
    alone, a plain request the whole page."""
    offer = actions.offer(ticket, services.actor(current_user))
    forms_ = {
        rule.name: forms.form_for(rule)(formdata=None, prefix=rule.name) for rule in offer.rules
    } | bound
    canned = replies.find(ticket.language, request.args.get("canned", ""))
    if canned is not None and "reply" not in bound:
        forms_["reply"].body.data = canned.body
    context = {
        "ticket": ticket,
        "forms": forms_,
        "replies": replies.for_language(ticket.language),
        "colleagues": services.staff_for_tier(ticket.tier),
        "labels": labels,
        "offer": offer,
        # Actions without markup of their own in staff/_ticket.html get a generic form.
        "other_actions": [r for r in offer.rules if r.name not in _OWN_MARKUP],
        "reopen_days": states.REOPEN_DAYS,
        "open_action": next(iter(bound), ""),
        "vip_levels": support.current().vip_levels if access.may_set_vip(current_user.role) else (),
    }
    if htmx:
        return varying(render_template("staff/_ticket.html", **context), status)
    return render_template("staff/ticket.html", **context), status


@bp.get("/tickets/<ref>")
@requires(access.works_tickets)
def ticket(ref: str):
    return _panel(_ticket_or_404(ref))


@bp.get("/tickets/<ref>/reply-form")
@requires(access.works_tickets)
def reply_form(ref: str):
    """The reply form with a saved reply filled in (htmx; plain requests get the whole page)."""
    ticket = _ticket_or_404(ref)
    if not htmx:
        return redirect(url_for(".ticket", ref=ticket.reference, canned=request.args.get("canned")))
    form = forms.ReplyForm(formdata=None, prefix="reply")
    canned = replies.find(ticket.language, request.args.get("canned", ""))
    form.body.data = canned.body if canned else ""
    return varying(
        render_template(
            "staff/_reply_form.html",
            ticket=ticket,
            form=form,
            replies=replies.for_language(ticket.language),
            picked=True,
            canned=canned,
        )
    )


# The actions staff/_ticket.html lays out itself.
_OWN_MARKUP = frozenset(
    ("reply", "note", "assign", "wait", "escalate", "send_back", "resolve", "close")
)


def _done_message(action: str, ticket) -> str:
    messages = {
        "reply": _("Your reply was sent to the player."),
        "note": _("The note was added. Players never see notes."),
        "assign": _("Assigned to %(who)s.", who=ticket.assignee)
        if ticket.assignee
        else _("The ticket is unassigned."),
        "wait": _("The ticket now waits for the player's answer."),
        "escalate": _("Escalated to the investigation team.")
        if ticket.tier == states.INVESTIGATION
        else _("Escalated to a supervisor."),
        "send_back": _("Sent back to the operators.")
        if ticket.tier == states.OPERATOR
        else _("Sent back to a supervisor."),
        "resolve": _("The ticket is resolved; the player was told."),
        "close": _("The ticket is closed."),
    }
    if action in messages:
        return messages[action]
    return _("Done: %(action)s.", action=actions.rule(action).label)


@bp.post("/tickets/<ref>/<action>")
@csrf.exempt  # each action form checks its own token, so an expired one keeps the staff's text
@requires(access.works_tickets)
def act(ref: str, action: str):
    """Do one action of the table (`tickets.actions`) that has a service, with its form."""
    if action not in actions.SERVICES:
        abort(404)
    ticket = _ticket_or_404(ref)
    rule = actions.rule(action)
    form = forms.form_for(rule)(prefix=action)
    bound = {action: form} if rule.fields else {}
    if not form.validate():
        if form.csrf_token.errors:
            flash(
                _(
                    "For your security this form has expired. "
                    "Check what you entered and send it again."
                ),
                "error",
            )
        else:
            flash(_("Check the form: the action was not done."), "error")
        return _panel(ticket, 422, **bound)
    values = {name: getattr(form, name).data for name in rule.fields}
    try:
        done = services.act(
            member=current_user,
            ticket=ticket,
            version=int(form.version.data),
            action=action,
            address=ratelimit.client_address(),
            **values,
        )
    except services.TicketChanged:
        flash(
            _(
                "Someone changed this ticket while you were working on it. "
                "Check the latest state below; your text is kept, send it again if it still fits."
            ),
            "error",
        )
        return _panel(queries.ticket(ref), 409, **bound)
    except states.TransitionError:
        flash(_("This is not possible in the ticket's current state."), "error")
        return _panel(queries.ticket(ref), 409, **bound)
    except services.NotAllowed:
        flash(_("Your role does not allow this action."), "error")
        return _panel(queries.ticket(ref), 403, **bound)
    except services.BadAction:
        flash(_("Choose someone who works on this tier."), "error")
        return _panel(queries.ticket(ref), 422, **bound)
    flash(_done_message(action, done.ticket), "success")
    if not done.still_mine:
        target = url_for(".queue")
        if htmx:
            return varying("", 200, **{"HX-Redirect": target})
        return redirect(target, 303)
    if htmx:
        return _panel(queries.ticket(ref))
    return redirect(url_for(".ticket", ref=ticket.reference), 303)


@bp.post("/tickets/<ref>/vip")
@csrf.exempt  # the form checks its own (prefixed) token, as the actions' forms do
@requires(access.works_tickets)
def set_vip(ref: str):
    """Set or clear the ticket's VIP level (supervisors and admins), audited."""
    ticket = _ticket_or_404(ref)
    form = forms.VipForm(prefix="vip")
    if not form.validate():
        flash(_("Check the form: the action was not done."), "error")
        return _panel(ticket, 422)
    try:
        services.set_vip(
            member=current_user,
            ticket=ticket,
            version=int(form.version.data),
            level=form.level.data or "",
            address=ratelimit.client_address(),
        )
    except services.TicketChanged:
        flash(
            _(
                "Someone changed this ticket while you were working on it. "
                "Check the latest state below and choose again."
            ),
            "error",
        )
        return _panel(queries.ticket(ref), 409)
    except services.NotAllowed:
        flash(_("Your role does not allow this action."), "error")
        return _panel(queries.ticket(ref), 403)
    except services.UnknownVipLevel:
        flash(_("Choose one of the VIP levels listed: nothing was changed."), "error")
        return _panel(queries.ticket(ref), 422)
    if ticket.vip:
        flash(_("VIP level set to %(level)s.", level=labels.vip_name(ticket.vip)), "success")
    else:
        flash(_("The ticket has no VIP level now."), "success")
    if htmx:
        return _panel(queries.ticket(ref))
    return redirect(url_for(".ticket", ref=ticket.reference), 303)


@bp.get("/tickets/<ref>/files/<id:attachment_id>")
@requires(access.works_tickets)
def download(ref: str, attachment_id: int):
    """A player's file, only ever as a download, never shown in the browser."""
    ticket = _ticket_or_404(ref)
    attachment = queries.attachment(ticket.id, attachment_id)
    if attachment is None:
        abort(404)
    # From the database or this host's directory, whichever has it; read in chunks as sent.
    try:
        opened = storage.open_file(attachment.stored_name)
    except encryption.Unreadable as problem:
        # A key left out of HELPCENTER_FILE_ENCRYPTION_KEYS, or changed bytes: for the admins.
        current_app.logger.error(
            "download of %s on %s by %s refused: %s",
            attachment.stored_name,
            ticket.reference,
            current_user.email,
            problem,
        )
        page = render_template("staff/file_unreadable.html", ticket=ticket, attachment=attachment)
        return page, 500
    if opened is None:
        abort(404)
    try:
        services.record_now(
            current_user,
            "download",
            target=ticket.reference,
            detail=attachment.display_name,
            address=ratelimit.client_address(),
        )
        response = send_file(
            opened.file,
            mimetype=attachment.mimetype,
            as_attachment=True,
            download_name=attachment.display_name,
            max_age=0,
            conditional=False,
            etag=False,
        )
    except BaseException:
        opened.file.close()
        raise
    response.content_length = opened.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the audit log ------------------------------------------------------------------------------


@bp.get("/audit")
@requires(access.may_read_audit)
def audit():
    number = bounded_int(request.args.get("page"), high=99_999, default=1)
    entries, total = queries.audit(number)
    return render_template(
        "staff/audit.html",
        entries=entries,
        total=total,
        page=number,
        action_label=action_label,
    )
