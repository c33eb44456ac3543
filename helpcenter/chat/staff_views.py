"""The live chat in the staff console: presence, the chat inbox, and one chat's page with its
actions (accept, reply with saved replies and files, note, transfer, escalate, end).

Thin views: parse the form, call `chat.services` (which checks, audits and records events),
turn a domain error into a message for the staff member, and answer htmx with a fragment and a
plain form with a redirect (303). The inbox and the conversation poll with htmx; an unchanged
one answers 304 to the change tag it sent in If-None-Match, mostly before Flask (`polling`).
"""

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, MultipleFileField, TextAreaField
from wtforms.validators import AnyOf, InputRequired

from helpcenter import ratelimit
from helpcenter.chat import polling, queries, services
from helpcenter.chat import states as chat
from helpcenter.contact.forms import _read_files
from helpcenter.extensions import csrf, db, htmx
from helpcenter.forms import clean
from helpcenter.i18n import _
from helpcenter.staff import access, replies
from helpcenter.staff.views import private_headers, requires
from helpcenter.tickets import labels
from helpcenter.web.pages import varying
from helpcenter.web.safety import safe_next

bp = Blueprint("chat_staff", __name__, url_prefix="/staff", template_folder="templates")


# Console pages are never cached or indexed: the staff blueprint's headers.
bp.after_request(private_headers)


@bp.app_context_processor
def _template_globals() -> dict:
    """For the console's header: the presence toggle and the waiting count by the nav link."""
    return {"chat_waiting_count": queries.waiting_count, "chat_available": services.AVAILABLE}


# --- forms ---------------------------------------------------------------------------------------


class PresenceForm(FlaskForm):
    status = HiddenField(validators=[AnyOf(services.PRESENCES)])


class MessageForm(FlaskForm):
    text = TextAreaField(_l("Your message"), filters=[clean], id="hc-chat-text")
    attachments = MultipleFileField(_l("Attach files"), id="hc-chat-files")


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note"), filters=[clean], id="hc-note-text")


class TransferForm(FlaskForm):
    to = IntegerField(_l("Hand the chat to"), validators=[InputRequired()], id="hc-transfer-to")


class EscalateForm(FlaskForm):
    reason = TextAreaField(
        _l("Why a supervisor?"),
        filters=[clean],
        id="hc-escalate-reason",
        validators=[InputRequired(_l("Say why the chat goes to a supervisor."))],
    )


class ActionForm(FlaskForm):
    """Accept and end: nothing but the CSRF token."""


def _me():
    return current_user._get_current_object()


def _address() -> str:
    return ratelimit.client_address()


def _expired() -> None:
    flash(
        _("For your security this form has expired. Check what you entered and send it again."),
        "error",
    )


def _invalid(form: FlaskForm, message: str) -> None:
    """Why `form` did not validate: it expired, else `message`."""
    if form.csrf_token.errors:
        _expired()
    else:
        flash(message, "error")


# --- presence ------------------------------------------------------------------------------------


@bp.post("/presence")
@csrf.exempt  # checked by the form: an expired token gets a message, not an error page
@requires(access.may_chat)
def presence():
    form = PresenceForm()
    status = 200
    if not form.validate():
        _invalid(form, _("Choose available or away."))
        status = 422
    else:
        services.set_presence(member=_me(), status=form.status.data, address=_address())
    if htmx:
        return varying(render_template("chat/_presence.html", changed=status == 200), status)
    if status == 200:
        if form.status.data == services.AVAILABLE:
            flash(_("You are available: new chats can reach you."), "success")
        else:
            flash(_("You are away: no new chats will be offered to you."), "success")
    target = safe_next(request.form.get("next"), inside="/staff/") or url_for(".inbox")
    return redirect(target, 303)


# --- the inbox -----------------------------------------------------------------------------------


@bp.get("/chats")
@requires(access.may_chat)
def inbox():
    me = _me()
    services.touch_presence(member=me)
    state = queries.inbox_state(db.session.execute, me.id, queries.inbox_minute(me.id))
    if htmx and polling.still_shown(polling.INBOX, me.id, state):
        return polling.unchanged_answer()
    tag = polling.etag(polling.new_tag(polling.INBOX, me.id, state))
    box = queries.inbox(me)
    context = {
        "box": box,
        "tag": tag,
        "names": queries.operator_names(t.chat_operator_id for t in box.mine + box.others_active),
        "first_messages": queries.first_messages(box.waiting),
        "now": datetime.now(UTC),
        "poll_seconds": current_app.config["CHAT_POLL_SECONDS"] * 2,
        "max_chats": current_app.config["CHAT_MAX_PER_OPERATOR"],
        "labels": labels,
        "form": ActionForm(),
    }
    template = "chat/_staff_inbox.html" if htmx else "chat/staff_inbox.html"
    response = varying(render_template(template, **context))
    response.headers["ETag"] = tag
    return response


# --- one chat ------------------------------------------------------------------------------------


def _chat_or_404(reference: str):
    ticket = queries.find_chat(reference)
    if ticket is None or not access.may_handle(current_user.role, ticket.tier):
        abort(404)
    return ticket


def _page(ticket, status: int = 200, **forms):
    """The chat's page; `forms` are bound forms to show again (with what the member typed)."""
    canned = replies.find(ticket.language, request.args.get("canned", ""))
    reply = forms.get("reply") or MessageForm(formdata=None)
    if canned is not None and "reply" not in forms:
        reply.text.data = canned.body
    transfer = forms.get("transfer") or TransferForm(formdata=None)
    context = _chat_context(ticket) | {
        "reply": reply,
        "canned": canned,
        "note_form": forms.get("note") or NoteForm(formdata=None),
        "transfer_form": transfer,
        "escalate_form": forms.get("escalate") or EscalateForm(formdata=None),
        "action_form": ActionForm(formdata=None),
        "open_action": next(iter(forms), ""),
    }
    return render_template("chat/staff_chat.html", **context), status


def _tag(ticket) -> str:
    """The change tag of what the page is about to show (If-None-Match of its poller): read
    first, then the chat again, so that anything newer moves it."""
    state = queries.poll_state(db.session.execute, ticket.id)
    db.session.refresh(ticket)
    if not access.may_handle(current_user.role, ticket.tier):
        abort(404)
    return polling.etag(polling.new_tag(polling.STAFF, ticket.id, state, ticket.reference))


def _chat_context(ticket, tag: str | None = None) -> dict:
    tag = tag or _tag(ticket)
    messages = queries.messages_after(ticket.id, 0, include_internal=True)
    me = _me()
    holder = queries.operator_names([ticket.chat_operator_id] if ticket.chat_operator_id else [])
    return {
        "ticket": ticket,
        "messages": messages,
        "last_id": messages[-1].id if messages else 0,
        "tag": tag,
        "seen": _seen(ticket),
        "holder": holder.get(ticket.chat_operator_id, ""),
        "mine": ticket.chat_operator_id == me.id,
        "may_write": ticket.chat_state == chat.ACTIVE
        and (ticket.chat_operator_id == me.id or current_user.role != access.OPERATOR),
        "operators": [
            m
            for m in queries.available_operators(exclude_id=ticket.chat_operator_id)
            if access.may_handle(m.role, ticket.tier)
        ],
        "replies": replies.for_language(ticket.language),
        "poll_seconds": current_app.config["CHAT_POLL_SECONDS"],
        "max_length": current_app.config["CHAT_MESSAGE_MAX"],
        "labels": labels,
        "queue_position": queries.queue_position(ticket),
    }


def _seen(ticket) -> str:
    """What the page shows of the chat's state: when it differs, a poll redraws the actions."""
    return f"{ticket.chat_state}-{ticket.chat_operator_id or 0}"


@bp.get("/chats/<reference>")
@requires(access.may_chat)
def chat_page(reference: str):
    return _page(_chat_or_404(reference))


@bp.get("/chats/<reference>/messages")
@requires(access.may_chat)
def messages(reference: str):
    """New messages after `after` (htmx poll): 304 while the change tag sent as If-None-Match
    holds (mostly answered before Flask, `polling.FastPolls`); a plain request gets the page."""
    ticket = _chat_or_404(reference)
    if not htmx:
        return redirect(url_for(".chat_page", reference=ticket.reference) + "#hc-chat-end")
    state = queries.poll_state(db.session.execute, ticket.id)
    if polling.still_shown(polling.STAFF, ticket.id, state, ticket.reference):
        return polling.unchanged_answer()
    tag = _tag(ticket)
    after = request.args.get("after", "0")
    after_id = int(after) if after.isdigit() and len(after) < 12 else 0
    new = queries.messages_after(ticket.id, after_id, include_internal=True)
    state_changed = request.args.get("seen") != _seen(ticket)
    if state_changed:  # the state line and the actions are drawn again
        context = _chat_context(ticket, tag) | {
            "reply": MessageForm(formdata=None),
            "note_form": NoteForm(formdata=None),
            "transfer_form": TransferForm(formdata=None),
            "escalate_form": EscalateForm(formdata=None),
            "action_form": ActionForm(formdata=None),
            "canned": None,
            "open_action": "",
        }
    else:  # only the new messages and the next poll
        context = {
            "ticket": ticket,
            "tag": tag,
            "seen": _seen(ticket),
            "poll_seconds": current_app.config["CHAT_POLL_SECONDS"],
        }
    context |= {"new": new, "last_id": new[-1].id if new else after_id}
    context["state_changed"] = state_changed
    response = varying(render_template("chat/_staff_poll.html", **context))
    response.headers["ETag"] = tag
    return response


@bp.get("/chats/<reference>/reply-form")
@requires(access.may_chat)
def reply_form(reference: str):
    """The reply box with a saved reply in the chat's language filled in (htmx)."""
    ticket = _chat_or_404(reference)
    canned_id = request.args.get("canned", "")
    if not htmx:
        return redirect(url_for(".chat_page", reference=ticket.reference, canned=canned_id))
    canned = replies.find(ticket.language, canned_id)
    form = MessageForm(formdata=None)
    form.text.data = canned.body if canned else ""
    context = _chat_context(ticket) | {"reply": form, "canned": canned, "picked": True}
    return varying(render_template("chat/_staff_reply.html", **context))


def _back(ticket, anchor: str = ""):
    return redirect(url_for(".chat_page", reference=ticket.reference) + anchor, 303)


def _refused(error: Exception, ticket) -> str:
    """The message for a domain error of a chat action."""
    if isinstance(error, services.AlreadyTaken):
        if error.by:
            return _("%(name)s already took this chat.", name=error.by)
        return _("Another operator already took this chat.")
    if isinstance(error, services.TooManyChats):
        limit = current_app.config["CHAT_MAX_PER_OPERATOR"]
        return ngettext(
            "You already hold %(num)d chat, the most at once. End it before you take another.",
            "You already hold %(num)d chats, the most at once. End one before you take another.",
            limit,
        )
    if isinstance(error, services.NotAllowed):
        return _("Only the operator holding this chat, or a supervisor, can do this.")
    if isinstance(error, services.TicketChanged):
        return _("The chat changed at the same moment. Check it below and try again.")
    if ticket.chat_state == chat.QUEUED:
        return _("This chat is waiting: accept it first.")
    if ticket.chat_state == chat.ENDED:
        return _("This chat has ended.")
    return _("This is not possible in the chat's current state.")


_DOMAIN_ERRORS = (
    services.AlreadyTaken,
    services.TooManyChats,
    services.NotAllowed,
    services.WrongState,
    services.ChatNotFound,
    services.TicketChanged,
)


@bp.post("/chats/<reference>/accept")
@csrf.exempt
@requires(access.may_chat)
def accept(reference: str):
    ticket = _chat_or_404(reference)
    form = ActionForm()
    if not form.validate():
        _expired()
        return redirect(url_for(".inbox"), 303)
    try:
        services.accept(member=_me(), ticket=ticket, address=_address())
    except _DOMAIN_ERRORS as error:
        flash(_refused(error, queries.find_chat(reference)), "error")
        return redirect(url_for(".inbox"), 303)
    flash(_("You accepted the chat. The player sees that you have joined."), "success")
    return _back(ticket)


@bp.post("/chats/<reference>/messages")
@csrf.exempt  # an expired token keeps the operator's text, with a message
@requires(access.may_chat)
def send(reference: str):
    ticket = _chat_or_404(reference)
    form = MessageForm()
    ok = form.validate()
    if not ok and form.csrf_token.errors:
        _expired()
    files = []
    if ok:
        field = _Uploads(form.attachments)
        try:
            files = _read_files(field)
        except Exception as problem:  # wtforms.ValidationError: one message for the refusal
            flash(str(problem), "error")
            ok = False
    if ok:
        try:
            services.staff_message(
                member=_me(),
                ticket=ticket,
                text=form.text.data or "",
                files=files,
                address=_address(),
            )
        except ValueError:
            flash(
                _(
                    "Write a message of at most %(max)d characters, or attach a file.",
                    max=current_app.config["CHAT_MESSAGE_MAX"],
                ),
                "error",
            )
            ok = False
        except _DOMAIN_ERRORS as error:
            flash(_refused(error, queries.find_chat(reference)), "error")
            ok = False
    if htmx:
        fresh = queries.find_chat(reference)
        reply = MessageForm(formdata=None) if ok else form
        context = _chat_context(fresh) | {"reply": reply, "canned": None, "sent": ok}
        response = varying(render_template("chat/_staff_reply.html", **context), 200 if ok else 422)
        response.headers["HX-Trigger"] = "hc-chat-changed"
        return response
    if ok:
        return _back(ticket, "#hc-chat-reply")
    return _page(queries.find_chat(reference), 422, reply=form)


class _Uploads:
    """The form's files field as `contact.forms._read_files` reads it (data and errors)."""

    def __init__(self, field):
        self.data = [f for f in (field.data or []) if getattr(f, "filename", "")]
        self.errors = []


def _attempt(
    reference: str,
    ticket,
    form: FlaskForm,
    name: str,
    do,
    *,
    invalid=None,
    empty="",
    refused=_refused,
):
    """Run the chat action `do` with its `form` (shown back under `name`): None when it was
    done, else the chat page with the form and a message. An invalid form says `invalid` (or
    that it expired), an empty text (ValueError) `empty`, a domain error `refused(error, chat)`.
    """
    if not form.validate():
        if invalid:
            _invalid(form, invalid)
        else:
            _expired()
        return _page(ticket, 422, **{name: form})
    try:
        do()
    except ValueError:
        flash(empty, "error")
        return _page(queries.find_chat(reference), 422, **{name: form})
    except _DOMAIN_ERRORS as error:
        flash(refused(error, queries.find_chat(reference)), "error")
        return _page(queries.find_chat(reference), 409, **{name: form})
    return None


@bp.post("/chats/<reference>/note")
@csrf.exempt
@requires(access.may_chat)
def note(reference: str):
    ticket = _chat_or_404(reference)
    form = NoteForm()
    failed = _attempt(
        reference,
        ticket,
        form,
        "note",
        lambda: services.note(
            member=_me(), ticket=ticket, text=form.text.data or "", address=_address()
        ),
        empty=_("Write the note first."),
    )
    if failed:
        return failed
    flash(_("The note was added. Players never see notes."), "success")
    return _back(ticket, "#hc-chat-end")


def _transfer_refused(error: Exception, chat) -> str:
    if isinstance(error, services.TooManyChats):
        return _("They already hold as many chats as they may. Choose someone else.")
    if isinstance(error, services.NotAllowed):
        return _("Choose someone else: they cannot take this chat.")
    return _refused(error, chat)


@bp.post("/chats/<reference>/transfer")
@csrf.exempt
@requires(access.may_chat)
def transfer(reference: str):
    ticket = _chat_or_404(reference)
    form = TransferForm()
    failed = _attempt(
        reference,
        ticket,
        form,
        "transfer",
        lambda: services.transfer(
            member=_me(), ticket=ticket, to_member_id=form.to.data, address=_address()
        ),
        invalid=_("Choose someone else: they cannot take this chat."),
        refused=_transfer_refused,
    )
    if failed:
        return failed
    fresh = queries.find_chat(reference)
    assert fresh is not None and fresh.chat_operator_id is not None  # transferred just now
    name = queries.operator_names([fresh.chat_operator_id]).get(fresh.chat_operator_id, "")
    flash(_("The chat is now with %(name)s.", name=name), "success")
    if fresh.chat_operator_id == current_user.id:
        return _back(fresh)
    return redirect(url_for(".inbox"), 303)


@bp.post("/chats/<reference>/escalate")
@csrf.exempt
@requires(access.may_chat)
def escalate(reference: str):
    ticket = _chat_or_404(reference)
    form = EscalateForm()
    why = _("Say why the chat goes to a supervisor.")
    failed = _attempt(
        reference,
        ticket,
        form,
        "escalate",
        lambda: services.escalate(
            member=_me(), ticket=ticket, reason=form.reason.data, address=_address()
        ),
        invalid=why,
        empty=why,
    )
    if failed:
        return failed
    flash(
        _(
            "The chat ended and %(reference)s is now a request for a supervisor, with the "
            "whole conversation.",
            reference=ticket.reference,
        ),
        "success",
    )
    return redirect(url_for(".inbox"), 303)


@bp.post("/chats/<reference>/end")
@csrf.exempt
@requires(access.may_chat)
def end(reference: str):
    ticket = _chat_or_404(reference)
    if not ActionForm().validate():
        _expired()
        return _back(ticket)
    try:
        services.end_chat(member=_me(), ticket=ticket, address=_address())
    except _DOMAIN_ERRORS as error:
        flash(_refused(error, queries.find_chat(reference)), "error")
        return _back(ticket)
    flash(_("The chat ended and %(reference)s is resolved.", reference=ticket.reference), "success")
    return redirect(url_for(".inbox"), 303)
