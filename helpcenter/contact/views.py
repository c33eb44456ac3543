"""Player pages: the contact form and its confirmation, the status page and the player's actions.

Access to a ticket's status page takes proof: the private link's secret token, a session that
looked the ticket up with its reference number and email (or filed it), or the player signed in
from the casino whose request it is. The token opens
one request only: it grants the session the ticket and redirects to the page at the ticket's
reference, so the token stays out of access logs, browser history and Referer headers; the
page's polling and forms then go by the reference and the session. Forms that carry
a player's long text validate their own CSRF token, so a failed check shows the form again
with the text kept instead of an error page.
"""

import logging

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for

from helpcenter import ratelimit
from helpcenter.articles.services import ArticleNotFound
from helpcenter.contact import queries, services
from helpcenter.contact.forms import (
    DESCRIPTION_MAX,
    ContactForm,
    LookupForm,
    NpsForm,
    RatingWithNpsForm,
    ReopenForm,
    ReplyForm,
    SolvedForm,
    quota_refusal,
)
from helpcenter.extensions import csrf, htmx
from helpcenter.i18n import _
from helpcenter.players import current as current_player
from helpcenter.support import current as support_config
from helpcenter.tickets import quotas, reference, states
from helpcenter.tickets import services as tickets
from helpcenter.transaction import unit_of_work
from helpcenter.web import language_blueprint
from helpcenter.web.outage import keeps_form
from helpcenter.web.pages import varying
from helpcenter.web.safety import validates_own_text

log = logging.getLogger(__name__)
bp = language_blueprint("contact", __name__, template_folder="templates")

# References this browser session may open without the token: it filed them or looked them up.
GRANTS = "tickets"
MAX_GRANTS = 20

# The contact form's fields that refuse control characters themselves (a message at the field,
# the text kept): a NUL in one of them is not a 400 page.
SELF_CHECKED_FIELDS = (
    "subject",
    "description",
    "name",
    "contact",
    "email",
    "player_id",
    "transaction_id",
)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    if request.endpoint and request.endpoint.startswith("contact.status"):
        response.headers["X-Robots-Tag"] = "noindex"
    return response


# Pages shown in answer to a POST of these switch language to the page the form is on.
_PAGE_OF_ACTION = {
    "contact.solved": "contact.form",
    "contact.status_reply": "contact.status_page",
    "contact.status_rate": "contact.status_page",
    "contact.status_recommend": "contact.status_page",
    "contact.status_reopen": "contact.status_page",
}


@bp.context_processor
def _language_switch() -> dict:
    """The language switcher leads to this same page in the other languages."""
    endpoint = _PAGE_OF_ACTION.get(request.endpoint or "", request.endpoint)
    values = {**request.args.to_dict(), **(request.view_args or {})}
    return {
        "switch_urls": {
            code: url_for(endpoint, **{**values, "lang": code})
            for code in current_app.config["LANGUAGES"]
        }
    }


def _quota_status(exceeded: quotas.QuotaExceeded) -> int:
    """429 for a day's quota (it ends), 422 for a ticket's (it does not)."""
    return 429 if exceeded.is_daily else 422


def _grant(ref: str) -> None:
    granted = [r for r in session.get(GRANTS, []) if r != ref]
    session[GRANTS] = [*granted, ref][-MAX_GRANTS:]


# --- the contact form ----------------------------------------------------------------------------


def _contact_form(**data) -> ContactForm:
    """The contact form, with what the casino vouched for when the player is signed in."""
    form = ContactForm(**data)
    player = current_player.player()
    if player is not None:
        form.vouch(player)
    return form


def _form_page(form: ContactForm, *, problem: str = "", status: int = 200):
    topic = form.topic.data or ""
    return (
        render_template(
            "contact/form.html",
            form=form,
            problem=problem,
            recommendation=form.recommendation(),
            suggestions=queries.suggestions(text=form.subject.data or "", lang=g.lang, topic=topic),
            solved=request.args.get("solved") == "1",
        ),
        status,
    )


def _unsent_form_page():
    """The contact form as posted, while the database is away: nothing was filed yet."""
    form = _contact_form()
    return render_template(
        "contact/form.html",
        form=form,
        problem="unavailable",
        recommendation=form.recommendation(),
        suggestions=(),
        solved=False,
    )


@bp.route("/contact", methods=["GET", "POST"])
@csrf.exempt  # ContactForm checks its own token and keeps the player's text when it fails
@keeps_form(_unsent_form_page)
@validates_own_text(*SELF_CHECKED_FIELDS)
def form():
    if request.method == "GET":
        form = _contact_form(
            topic=request.args.get("topic", "")[:40],
            # The text a player typed where it could not be sent (the chat closed) comes along.
            description=request.args.get("description", "")[:DESCRIPTION_MAX] or None,
        )
        if form.topic_config() is None:
            # An unknown topic in a link shows as no topic, as every part below then says.
            form.topic.data = ""
        form.pick_channel()
        return _form_page(form)
    form = _contact_form()
    if not ratelimit.allow("CONTACT_RATE_LIMIT", ratelimit.client_address()):
        return _form_page(form, problem="too_many", status=429)
    if not form.validate():
        return _form_page(form, status=422)
    if form.is_spam:
        log.warning("contact form with the honeypot filled refused from %s", request.remote_addr)
        return _form_page(form, problem="not_sent", status=422)
    if not ratelimit.allow("CONTACT_EMAIL_RATE_LIMIT", ratelimit.email_key(form.email.data)):
        return _form_page(form, problem="too_many", status=429)
    new = form.new_ticket(language=g.lang, urgency=form.urgency.data)
    try:
        filed = tickets.file_ticket(new, form.files, idempotency=form.idempotency(new))
    except tickets.IdempotencyKeyReused as reused:
        # The same form sent again after a change: its first request stands, and the status
        # page it leads to takes the change as a reply.
        filed = reused.filed
    except tickets.IdempotencyKeyInUse:
        return _form_page(form, problem="not_sent", status=409)
    except quotas.QuotaExceeded as exceeded:
        form.attachments.errors.append(quota_refusal(exceeded))
        return _form_page(form, status=_quota_status(exceeded))
    _grant(filed.ticket.reference)
    session["filed"] = {"reference": filed.ticket.reference, "token": filed.token}
    return redirect(url_for(".sent"), 303)


@bp.get("/contact/fields")
def fields():
    """The channel part of the form for the topic, urgency and channel chosen so far (htmx)."""
    if not htmx:
        return redirect(url_for(".form", topic=request.args.get("topic", "")[:40]))
    form = ContactForm(formdata=request.args, meta={"csrf": False})
    if request.headers.get("HX-Trigger-Name") == "channel":
        form.channel_chosen.data = "1"
    form.pick_channel()
    return varying(
        render_template("contact/_channel.html", form=form, recommendation=form.recommendation())
    )


@bp.get("/contact/suggest")
def suggest():
    """Articles that may answer the request, for the subject typed so far (htmx)."""
    text = request.args.get("subject", "")[:200]
    if not htmx:
        return redirect(url_for("search.results", lang=g.lang, q=text))
    found = queries.suggestions(text=text, lang=g.lang, topic=request.args.get("topic", ""))
    return varying(render_template("contact/_suggestions.html", suggestions=found))


@bp.post("/contact/solved")
@ratelimit.rate_limit("DEFLECTION_RATE_LIMIT")
def solved():
    """ "This solved my problem": counted as a request that did not need to be filed."""
    form = SolvedForm()
    if not form.validate():
        abort(400)
    try:
        services.record_deflection(slug=form.article.data, lang=g.lang, topic=form.topic.data)
    except ArticleNotFound:
        abort(404)
    if htmx:
        return varying(render_template("contact/_solved.html"))
    return redirect(url_for(".form", solved="1", _anchor="hc-solved"), 303)


@bp.get("/contact/sent")
def sent():
    """The confirmation: the reference, the private link, what happens next and by when."""
    filed = session.get("filed") or {}
    ticket = tickets.find_by_reference(filed.get("reference", ""))
    if ticket is None:
        return redirect(url_for(".status"))
    return render_template(
        "contact/sent.html",
        ticket=ticket,
        private_url=url_for(".status_page", access=filed.get("token", ""), _external=True),
        channel=support_config().channel(ticket.channel),
        player=current_player.player() if current_player.owns(ticket.verified_player_id) else None,
    )


# --- the status page -----------------------------------------------------------------------------


def _lookup_page(form: LookupForm, *, problem: str = "", status: int = 200):
    return (
        render_template(
            "contact/lookup.html", form=form, problem=problem, player=current_player.player()
        ),
        status,
    )


@bp.route("/status", methods=["GET", "POST"])
def status():
    form = LookupForm()
    if request.method == "GET":
        return _lookup_page(form)
    if not ratelimit.allow("STATUS_LOOKUP_RATE_LIMIT", ratelimit.client_address()):
        return _lookup_page(form, problem="too_many", status=429)
    if not form.validate():
        return _lookup_page(form, status=422)
    canonical = reference.normalize(form.reference.data)
    if canonical is None:
        form.reference.errors.append(
            _(
                "This reference number is not valid. Check it for typos: it looks like "
                "%(example)s.",
                example="HC-7K4MQ9TX-3",
            )
        )
        return _lookup_page(form, status=422)
    if not ratelimit.allow("STATUS_REFERENCE_RATE_LIMIT", canonical):
        return _lookup_page(form, problem="too_many", status=429)
    ticket = tickets.find_for_player(canonical, form.email.data)
    if ticket is None:
        return _lookup_page(form, problem="not_found", status=404)
    _grant(ticket.reference)
    return redirect(url_for(".status_page", access=ticket.reference), 303)


def _ticket(access: str):
    """The ticket that `access` (a token, or a reference this session may open: one it filed
    or looked up, or one of the signed-in player's) opens, or None.

    A token grants this session the ticket, so the pages it leads to go by the reference.
    """
    canonical = reference.normalize(access)
    if canonical is None:
        ticket = tickets.find_by_token(access)
        if ticket is not None:
            _grant(ticket.reference)
        return ticket
    if canonical in session.get(GRANTS, []):
        return tickets.find_by_reference(canonical)
    ticket = tickets.find_by_reference(canonical) if current_player.player() else None
    if ticket is not None and current_player.owns(ticket.verified_player_id):
        # The casino vouched that the signed-in player filed it.
        return ticket
    return None


def _ticket_or_lookup(access: str):
    ticket = _ticket(access)
    if ticket is None:
        page = _lookup_page(LookupForm(formdata=None), problem="bad_link", status=404)
        abort(current_app.make_response(page))
    if request.view_args is not None:
        # What this request renders (the language switcher) names the ticket, not the token.
        request.view_args["access"] = ticket.reference
    return ticket


def _blank_forms() -> dict:
    """The status page's forms, empty; prefixes keep their field ids apart on one page."""
    return {
        "reply_form": ReplyForm(formdata=None, prefix="reply"),
        "rating_form": RatingWithNpsForm(formdata=None, prefix="rating"),
        "nps_form": NpsForm(formdata=None, prefix="nps"),
        "reopen_form": ReopenForm(formdata=None, prefix="reopen"),
    }


def _status_page(ticket, *, status: int = 200, **forms):
    page = queries.status_page(ticket)
    return (
        render_template(
            "contact/status.html",
            page=page,
            access=ticket.reference,
            **(_blank_forms() | {f"{name}_form": form for name, form in forms.items()}),
            poll_seconds=current_app.config["STATUS_POLL_SECONDS"],
        ),
        status,
    )


@bp.get("/status/<access>")
def status_page(access: str):
    ticket = _ticket_or_lookup(access)
    if access != ticket.reference:
        # The private link (or a reference spelled differently): the page lives at the
        # reference, and only this first request carries the token.
        return redirect(url_for(".status_page", access=ticket.reference), 303)
    return _status_page(ticket)


@bp.get("/status/<access>/live")
def status_live(access: str):
    """The parts of the status page that change, for htmx polling; the forms when they change."""
    ticket = _ticket_or_lookup(access)
    if not htmx:
        return redirect(url_for(".status_page", access=ticket.reference))
    page = queries.status_page(ticket)
    return varying(
        render_template(
            "contact/_live.html",
            page=page,
            access=ticket.reference,
            poll_seconds=current_app.config["STATUS_POLL_SECONDS"],
            redraw_forms=request.args.get("forms") != page.forms,
            **_blank_forms(),
        )
    )


def _act(access: str, name: str, form, action) -> object:
    """Run one of the player's actions on the status page, or show the page with the problem."""
    ticket = _ticket_or_lookup(access)
    if not ratelimit.allow("STATUS_ACTION_RATE_LIMIT", ratelimit.client_address()):
        flash(_("Too many attempts. Please wait a few minutes and try again."), "error")
        return _status_page(ticket, status=429, **{name: form})
    if not form.validate():
        return _status_page(ticket, status=422, **{name: form})
    try:
        message = action(ticket, form)
    except tickets.TicketChanged:
        flash(
            _("The request changed while you were writing. Check it below and send again."),
            "error",
        )
        return _status_page(tickets.find_by_reference(ticket.reference), status=409, **{name: form})
    except tickets.AlreadyRecommended:
        flash(_("You have already told us how likely you are to recommend us. Thank you!"), "error")
        return _status_page(ticket, status=409)
    except states.TransitionError:
        flash(
            _("This is no longer possible: the request has changed. See its status below."), "error"
        )
        return _status_page(ticket, status=409)
    except quotas.QuotaExceeded as exceeded:
        form.attachments.errors.append(quota_refusal(exceeded))
        return _status_page(ticket, status=_quota_status(exceeded), **{name: form})
    flash(message, "success")
    return redirect(url_for(".status_page", access=ticket.reference), 303)


def _unsent_reply_page(access: str):
    """The reply as posted, while the database is away: nothing was added to the request yet."""
    return render_template(
        "contact/reply_unsent.html", reply_form=ReplyForm(prefix="reply"), access=access
    )


@bp.post("/status/<access>/reply")
@csrf.exempt  # ReplyForm checks its own token and keeps the text when it fails
@keeps_form(_unsent_reply_page)
def status_reply(access: str):
    def reply(ticket, form):
        tickets.player_reply(ticket, form.body.data or "", form.files)
        return _("Thank you. Your message has been added to the request.")

    return _act(access, "reply", ReplyForm(prefix="reply"), reply)


@bp.post("/status/<access>/rate")
@csrf.exempt  # RatingForm checks its own token and keeps the comment when it fails
def status_rate(access: str):
    def rate(ticket, form):
        # The rating and the NPS answer given with it land together, or neither does.
        with unit_of_work():
            tickets.rate(ticket, int(form.score.data), form.comment.data or "")
            if form.nps.data:
                tickets.recommend(ticket, int(form.nps.data))
        return _("Thank you for rating our service.")

    return _act(access, "rating", RatingWithNpsForm(prefix="rating"), rate)


@bp.post("/status/<access>/recommend")
@csrf.exempt  # NpsForm checks its own token
def status_recommend(access: str):
    def recommend(ticket, form):
        tickets.recommend(ticket, int(form.nps.data))
        return _("Thank you for your answer.")

    return _act(access, "nps", NpsForm(prefix="nps"), recommend)


@bp.post("/status/<access>/reopen")
@csrf.exempt  # ReopenForm checks its own token and keeps the text when it fails
def status_reopen(access: str):
    def reopen(ticket, form):
        tickets.reopen(ticket, form.body.data)
        return _("The request is open again. We will answer you as soon as we can.")

    return _act(access, "reopen", ReopenForm(prefix="reopen"), reopen)
