"""The player's live chat pages: starting a chat, the conversation with the answer bot and the
operator, the message box, and the poll that brings new messages.

Access to a chat takes its private token, kept in the session (`session["chats"]`) by the
browser that started it, or given once as `?token=` (then moved into the session). Anyone
else gets a 404. The poll sends the change tag of what the page shows (`polling`): while it
holds, the answer is an empty 204, mostly given before Flask by `polling.FastPolls`; otherwise
the new messages, the state box when it changed (out of band) and a new tag.
Without JavaScript every form posts and redirects back to the chat page.
"""

import logging
import sys

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from helpcenter import ratelimit
from helpcenter.chat import polling, queries, services
from helpcenter.chat import states as chat
from helpcenter.chat.forms import ChatActionForm, MessageForm, StartChatForm
from helpcenter.contact.forms import RatingWithNpsForm, quota_refusal
from helpcenter.db import utcnow
from helpcenter.extensions import db, htmx
from helpcenter.i18n import _
from helpcenter.players import current as current_player
from helpcenter.tickets import quotas
from helpcenter.tickets import reference as reference_numbers
from helpcenter.tickets import services as tickets
from helpcenter.tickets import states as ticket_states
from helpcenter.tickets.actions import PLAYER
from helpcenter.tickets.models import Ticket
from helpcenter.transaction import unit_of_work
from helpcenter.web import language_blueprint
from helpcenter.web.outage import DATABASE_DOWN

log = logging.getLogger(__name__)
bp = language_blueprint("chat", __name__, template_folder="templates")

# The chats this browser session may open: {reference: private token}.
CHATS = "chats"
MAX_CHATS = 10


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    if request.endpoint != "chat.start":
        response.headers["X-Robots-Tag"] = "noindex"
    return response


_PAGE_OF_ACTION = {
    "chat.send": "chat.page",
    "chat.resolved": "chat.page",
    "chat.handoff": "chat.page",
    "chat.rate": "chat.page",
    "chat.poll": "chat.page",
}


@bp.context_processor
def _language_switch() -> dict:
    endpoint = _PAGE_OF_ACTION.get(request.endpoint or "", request.endpoint or "")
    values = dict(request.view_args or {})
    return {
        "switch_urls": {
            code: url_for(endpoint, **{**values, "lang": code})
            for code in current_app.config["LANGUAGES"]
        }
    }


def is_open_now() -> bool:
    """`services.is_open()`, asked once per request (it reads the database). While the
    database is away (a page answering an outage) the chat counts as closed: the page
    offers the contact form, and waits for no second connection attempt."""
    if "chat_open" not in g:
        if isinstance(sys.exc_info()[1], DATABASE_DOWN):
            g.chat_open = False
            return False
        try:
            g.chat_open = services.is_open()
        except DATABASE_DOWN:
            db.session.rollback()
            g.chat_open = False
    return g.chat_open


@bp.app_context_processor
def _chat_open() -> dict:
    """Pages showing the support channels offer the chat while it is open."""
    return {"chat_is_open": is_open_now}


def _remember(reference: str, token: str) -> None:
    chats = {r: t for r, t in (session.get(CHATS) or {}).items() if r != reference}
    chats[reference] = token
    session[CHATS] = dict(list(chats.items())[-MAX_CHATS:])


def _token(reference: str) -> str:
    return (session.get(CHATS) or {}).get(reference, "")


def _chat_id_or_404(reference: str) -> int:
    """The id of the chat this session holds the token of, or of the signed-in player's own
    chat; 404 for anyone else."""
    ticket_id = queries.chat_id_for_token(reference, _token(reference))
    if ticket_id is None and (player := current_player.player()) is not None:
        ticket_id = queries.chat_id_for_player(reference, player.player_id)
    if ticket_id is None:
        abort(404)
    return ticket_id


def _chat_or_404(reference: str) -> Ticket:
    return db.session.get_one(Ticket, _chat_id_or_404(reference))


def _tag(ticket_id: int, ref: str) -> str:
    """The change tag of what the page is about to show: read before the messages and the
    state, so that anything newer moves it (and the next poll brings it)."""
    state = queries.poll_state(db.session.execute, ticket_id)
    return polling.new_tag(polling.PLAYER, ticket_id, state, ref)


# --- starting a chat -----------------------------------------------------------------------------


def _contact_url(topic: str, text: str) -> str:
    return url_for("contact.form", topic=topic or None, description=text or None)


@bp.route("/chat", methods=["GET", "POST"])
def start():
    form = StartChatForm()
    player = current_player.player()
    if player is not None:
        form.vouch(player)
    if request.method == "GET":
        form.topic.data = form.topic.data or request.args.get("topic", "")[:40]
        return render_template("chat/start.html", form=form, is_open=is_open_now())
    if not ratelimit.allow("CONTACT_RATE_LIMIT", ratelimit.client_address()):
        flash(_("Too many attempts. Please wait a few minutes and try again."), "error")
        return render_template("chat/start.html", form=form, is_open=True), 429
    if not form.validate():
        return render_template("chat/start.html", form=form, is_open=True), 422
    try:
        filed = services.start_chat(
            language=g.lang,
            topic=form.topic.data,
            message=form.message.data,
            email=form.email.data or "",
            player_id=form.player_id.data or "",
            name=player.name if player else "",
            verified_player_id=player.player_id if player else None,
            vip=player.vip if player else None,
        )
    except services.ChatClosed:
        return render_template(
            "chat/closed.html",
            text=form.message.data,
            contact_url=_contact_url(form.topic.data, form.message.data),
        )
    _remember(filed.ticket.reference, filed.token)
    return redirect(url_for(".page", reference=filed.ticket.reference), 303)


# --- the chat page -------------------------------------------------------------------------------


def _state(ticket: Ticket) -> dict:
    """What the state box shows, and its key: when the key changes, the poll redraws the box."""
    position = queries.queue_position(ticket)
    wait = queries.estimated_wait_minutes(position) if position else None
    operator = ""
    if ticket.chat_state == chat.ACTIVE and ticket.chat_operator_id is not None:
        operator = queries.operator_names([ticket.chat_operator_id]).get(
            ticket.chat_operator_id, ""
        )
    now = utcnow()
    can_rate = ticket.chat_state == chat.ENDED and ticket.can("rate", PLAYER, now)
    can_recommend = can_rate and ticket.nps_score is None and ticket.can("recommend", PLAYER, now)
    key = (
        f"{ticket.chat_state}-{position}-{wait}-{operator}-{ticket.tier}"
        f"-{int(can_rate)}-{int(can_recommend)}"
    )
    return {
        "state": ticket.chat_state,
        "position": position,
        "wait": wait,
        "operator": operator,
        "end_reason": ticket.chat_end_reason,
        "tier": ticket.tier,
        "followed_up": ticket.chat_end_reason == chat.ESCALATED
        and ticket.state not in (ticket_states.RESOLVED, ticket_states.CLOSED),
        "can_rate": can_rate,
        "can_recommend": can_recommend,
        "rating": ticket.rating,
        "key": key,
    }


def _page(ticket: Ticket, *, message_form=None, rating_form=None, status: int = 200):
    tag = _tag(ticket.id, ticket.reference)
    db.session.refresh(ticket)  # as new as its tag
    messages = queries.messages_after(ticket.id)
    token = _token(ticket.reference)
    return (
        render_template(
            "chat/chat.html",
            ticket=ticket,
            tag=tag,
            messages=messages,
            last_id=messages[-1].id if messages else 0,
            box=_state(ticket),
            message_form=message_form or MessageForm(formdata=None),
            action_form=ChatActionForm(formdata=None),
            rating_form=rating_form or RatingWithNpsForm(formdata=None, prefix="rating"),
            status_url=url_for(
                "contact.status_page", access=token or ticket.reference, _external=True
            ),
            poll_seconds=current_app.config["CHAT_POLL_SECONDS"],
        ),
        status,
    )


@bp.get("/chat/<reference>")
def page(reference: str):
    given = request.args.get("token", "")
    if given:
        ticket_id = queries.chat_id_for_token(reference, given)
        if ticket_id is None:
            abort(404)
        ticket = db.session.get_one(Ticket, ticket_id)
        _remember(ticket.reference, given)
        return redirect(url_for(".page", reference=ticket.reference), 303)
    ticket = _chat_or_404(reference)
    services.player_seen(ticket=ticket)
    return _page(ticket)


def _after_param(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 10 else 0


@bp.get("/chat/<reference>/messages")
def poll(reference: str):
    """The messages after `after`, and the state box when it changed (htmx polling).

    An unchanged chat (the `tag` the page sent still holds) answers 204, and is mostly
    answered before Flask (`polling.FastPolls`); any other answer carries a new tag.
    """
    ticket_id = _chat_id_or_404(reference)
    if not htmx:
        return redirect(url_for(".page", reference=reference, _anchor="hc-messages"))
    ref = reference_numbers.normalize(reference) or ""
    state = queries.poll_state(db.session.execute, ticket_id)
    ticket = db.session.get_one(Ticket, ticket_id)
    services.player_seen(ticket=ticket)
    if polling.still_shown(polling.PLAYER, ticket_id, state, ref):
        return polling.unchanged_answer()
    tag = polling.new_tag(polling.PLAYER, ticket_id, state, ref)
    after = _after_param(request.args.get("after", ""))
    messages = queries.messages_after(ticket.id, after)
    response = current_app.make_response(_fragment(ticket, messages, after, _state(ticket), tag))
    response.headers["ETag"] = polling.etag(tag)
    return response


def _fragment(ticket: Ticket, messages, after: int, box: dict, tag: str, **extra) -> str:
    """The new messages and the cursor, and the state box (with its forms) when the page
    shows another (`shown`)."""
    redraw = request.values.get("shown") != box["key"]
    forms = {}
    if redraw:
        forms = {
            "action_form": ChatActionForm(formdata=None),
            "rating_form": RatingWithNpsForm(formdata=None, prefix="rating"),
            "status_url": url_for(
                "contact.status_page",
                access=_token(ticket.reference) or ticket.reference,
                _external=True,
            ),
        }
    return render_template(
        "chat/_new.html",
        ticket=ticket,
        tag=tag,
        messages=messages,
        last_id=messages[-1].id if messages else after,
        box=box,
        redraw=redraw,
        **forms,
        **extra,
    )


@bp.post("/chat/<reference>/messages")
def send(reference: str):
    ticket = _chat_or_404(reference)
    form = MessageForm()
    if ticket.chat_state == chat.ENDED:
        flash(_("This chat has ended. You can still reply on the status page."), "error")
        return _back(ticket)
    valid = form.validate()  # also turns each field's errors into a list to add to
    if not ratelimit.allow("CHAT_MESSAGE_RATE_LIMIT", f"chat:{ticket.id}"):
        form.text.errors.append(_("Too many attempts. Please wait a few minutes and try again."))
        return _compose(ticket, form, 429)
    if not valid:
        return _compose(ticket, form, 422)
    try:
        services.player_message(ticket=ticket, text=form.text.data or "", files=form.files)
    except (services.WrongState, services.TicketChanged):
        form.text.errors.append(_("The chat changed while you were writing. Send it again."))
        return _compose(ticket, form, 409)
    except quotas.QuotaExceeded as exceeded:
        form.attachments.errors.append(quota_refusal(exceeded))
        return _compose(ticket, form, 429 if exceeded.is_daily else 422)
    services.player_seen(ticket=ticket)
    if htmx:
        after = form.after_id()
        tag = _tag(ticket.id, ticket.reference)
        ticket = db.session.get_one(Ticket, ticket.id)
        html = _fragment(
            ticket,
            queries.messages_after(ticket.id, after),
            after,
            _state(ticket),
            tag,
            compose=MessageForm(formdata=None),
        )
        return html
    return _back(ticket)


def _compose(ticket: Ticket, form: MessageForm, status: int):
    """The message box with its problem: the box alone for htmx, else the whole page."""
    if htmx:
        return render_template("chat/_compose.html", ticket=ticket, message_form=form), status
    return _page(ticket, message_form=form, status=status)


def _back(ticket: Ticket):
    url = url_for(".page", reference=ticket.reference, _anchor="hc-compose")
    if htmx:
        # htmx would follow a redirect inside the message box: load the page instead.
        response = Response(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def _answer_bot(reference: str, action):
    ticket = _chat_or_404(reference)
    if not ChatActionForm().validate():
        abort(400)
    try:
        action(ticket=ticket)
    except (services.WrongState, services.TicketChanged):
        flash(_("This is no longer possible: the chat has changed. See it below."), "error")
    return redirect(url_for(".page", reference=ticket.reference), 303)


@bp.post("/chat/<reference>/resolved")
def resolved(reference: str):
    """ "This answered my question": the chat ends, resolved by the answer bot."""
    return _answer_bot(reference, services.bot_resolved)


@bp.post("/chat/<reference>/handoff")
def handoff(reference: str):
    """ "I want to talk to a person": the chat joins the queue."""
    return _answer_bot(reference, services.handoff)


@bp.post("/chat/<reference>/rate")
def rate(reference: str):
    """The rating of an ended chat, with the NPS question: the status page's rating
    (`tickets.services.rate`, `recommend`)."""
    ticket = _chat_or_404(reference)
    form = RatingWithNpsForm(prefix="rating")
    if not form.validate():
        return _page(ticket, rating_form=form, status=422)
    try:
        # The rating and the NPS answer given with it land together, or neither does.
        with unit_of_work():
            tickets.rate(ticket, int(form.score.data), form.comment.data or "")
            if form.nps.data:
                tickets.recommend(ticket, int(form.nps.data))
    except (ticket_states.TransitionError, tickets.TicketChanged):
        flash(_("This is no longer possible: the chat has changed. See it below."), "error")
        return redirect(url_for(".page", reference=ticket.reference), 303)
    flash(_("Thank you for rating our service."), "success")
    return redirect(url_for(".page", reference=ticket.reference), 303)
