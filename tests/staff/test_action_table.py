"""The action table is the one place a ticket action is declared: a new entry and its service
are offered in the console where the table allows them, and refused everywhere else."""

import pytest
from sqlalchemy import select

from helpcenter.extensions import db
from helpcenter.staff.models import AuditEntry
from helpcenter.tickets import actions, services, states
from helpcenter.tickets.models import Ticket
from tests.staff.conftest import StaffActions, new_ticket
from tests.staff.test_access import escalate_to


@pytest.fixture
def flag_for_fraud(monkeypatch):
    """A hypothetical action: supervisors and investigators flag an open ticket at their tiers
    for the fraud team, with a reason. One table entry and its service; nothing else."""
    rule = actions.Rule(
        "flag_fraud",
        actions.STAFF_ONLY,
        actions.stay(*states.OPEN_STATES),
        tiers=(states.SUPERVISOR, states.INVESTIGATION),
        roles=("supervisor", "investigator"),
        label="Flag for the fraud team",
        fields=("reason",),
    )
    monkeypatch.setitem(actions.RULES, rule.name, rule)

    @services._use_case
    def flag_fraud(ticket, staff, *, reason, now=None):
        now = services._now(now)
        services._apply(ticket, "flag_fraud", staff, now)
        services._event(ticket, "flagged_fraud", staff, now, text=reason, public=False)

    monkeypatch.setitem(actions.SERVICES, rule.name, flag_fraud)
    return rule


def events(app, ref: str) -> list[str]:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref))
        return [event.type for event in ticket.events]


def test_a_new_action_is_offered_where_the_table_allows_it_and_refused_elsewhere(
    app, client, accounts, flag_for_fraud
):
    ref = new_ticket(app)
    supervisor = StaffActions(client)
    supervisor.login("supervisor")

    # At the operators' tier the table does not allow it: not offered, and refused if posted.
    page = client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    assert "Flag for the fraud team" not in page
    refused = supervisor.act(ref, "flag_fraud", reason="Chargeback pattern")
    assert refused.status_code == 409
    assert "This is not possible in the ticket" in refused.get_data(as_text=True)
    assert "flagged_fraud" not in events(app, ref)

    # At the supervisors' tier it is offered, with its reason field, and done when posted.
    escalate_to(app, ref, states.SUPERVISOR)
    page = client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    assert "Flag for the fraud team" in page
    assert 'name="flag_fraud-reason"' in page
    done = supervisor.act(ref, "flag_fraud", reason="Chargeback pattern")
    assert done.status_code == 303
    assert events(app, ref)[-1] == "flagged_fraud"
    with app.app_context():
        audit = db.session.scalars(select(AuditEntry.action)).all()
    assert "ticket_flag_fraud" in audit

    # An empty reason is refused by its form, and nothing happens.
    assert supervisor.act(ref, "flag_fraud", reason=" ").status_code == 422

    # An administrator reaches every tier, but the rule names only two roles.
    admin = StaffActions(app.test_client())
    admin.login("admin")
    page = admin.client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    assert "Flag for the fraud team" not in page
    assert admin.act(ref, "flag_fraud", reason="Me too").status_code == 403
    assert events(app, ref).count("flagged_fraud") == 1

    # Once resolved the ticket is no longer open: not offered, refused.
    assert supervisor.act(ref, "resolve", summary="Refunded.").status_code == 303
    page = client.get(f"/staff/tickets/{ref}").get_data(as_text=True)
    assert "Flag for the fraud team" not in page
    assert supervisor.act(ref, "flag_fraud", reason="Again").status_code == 409
    assert events(app, ref).count("flagged_fraud") == 1


def test_the_table_answers_for_players_and_the_system_too(app, accounts):
    ref = new_ticket(app)
    with app.app_context():
        ticket = services.find_by_reference(ref)
        operator = actions.Actor(states.STAFF, "Aysel", "operator")
        editor = actions.Actor(states.STAFF, "Elvin", "editor")
        assert ticket.can("reply", operator)
        assert not ticket.can("reply", editor)  # editors work on content only
        assert not ticket.can("reply", actions.PLAYER)  # the player's is "player_reply"
        assert ticket.can("player_reply", actions.PLAYER)
        assert not ticket.can("send_back", operator)  # nothing below the operators
        assert ticket.can("escalate", actions.SYSTEM)  # the SLA worker escalates
        assert not ticket.can("close", operator)  # only a resolved ticket closes
        assert not ticket.can("rate", actions.PLAYER)  # only after resolution
        with pytest.raises(actions.NotAllowed):
            services.note(ticket, editor, "A note")
        assert [rule.name for rule in actions.offered(ticket, operator)] == [
            "reply",
            "note",
            "assign",
            "wait",
            "escalate",
            "resolve",
        ]
