"""Links to a ticket for the player, valid outside any request (emails, the API, commands)."""

from flask import current_app

from helpcenter.tickets.models import Ticket


def status_url(ticket: Ticket, token: str | None = None) -> str:
    """The absolute address of the ticket's status page; the private link when given `token`.

    Built from PUBLIC_BASE_URL, not the request: commands queue emails too, and a link for the
    player must not carry the host name an integration used to reach us.
    """
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{ticket.language}/status" + (f"/{token}" if token else "")
