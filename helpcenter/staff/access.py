"""Who may do what in the staff console: the one place that answers it, for every page and action.

- Operators, supervisors and investigators work tickets; each has a home tier (operator,
  supervisor, investigation). Operators and investigators see and act on their own tier only.
  Supervisors and admins see every tier, may switch between them and act on any ticket.
- Editors see no tickets: they work on content (the editors' workspace).
- Reports are for supervisors and admins; the audit log for admins.
- A ticket's VIP level is set or cleared by supervisors and admins.
- Live chats are answered by operators, supervisors and admins.
"""

from flask_babel import lazy_gettext as _l

from helpcenter.tickets import states

OPERATOR = "operator"
SUPERVISOR = "supervisor"
INVESTIGATOR = "investigator"
EDITOR = "editor"
ADMIN = "admin"
ROLES = (OPERATOR, SUPERVISOR, INVESTIGATOR, EDITOR, ADMIN)
ROLE_NAMES = {
    OPERATOR: _l("Operator"),
    SUPERVISOR: _l("Supervisor"),
    INVESTIGATOR: _l("Investigator"),
    EDITOR: _l("Editor"),
    ADMIN: _l("Administrator"),
}

HOME_TIER = {
    OPERATOR: states.OPERATOR,
    SUPERVISOR: states.SUPERVISOR,
    INVESTIGATOR: states.INVESTIGATION,
    ADMIN: states.OPERATOR,
}
_ALL_TIERS = frozenset(states.TIERS)
_TIERS = {
    OPERATOR: frozenset({states.OPERATOR}),
    INVESTIGATOR: frozenset({states.INVESTIGATION}),
    SUPERVISOR: _ALL_TIERS,
    ADMIN: _ALL_TIERS,
}


def tiers(role: str) -> frozenset[str]:
    """The tiers whose tickets `role` may see and work on (none for editors)."""
    return _TIERS.get(role, frozenset())


def works_tickets(role: str) -> bool:
    return bool(tiers(role))


def may_switch_tiers(role: str) -> bool:
    return len(tiers(role)) > 1


def may_handle(role: str, tier: str) -> bool:
    """Whether `role` may open and act on a ticket at `tier`."""
    return tier in tiers(role)


def may_read_reports(role: str) -> bool:
    return role in (SUPERVISOR, ADMIN)


def may_set_vip(role: str) -> bool:
    """Whether `role` may set or clear a ticket's VIP level (on the tiers it handles)."""
    return role in (SUPERVISOR, ADMIN)


def may_read_audit(role: str) -> bool:
    return role == ADMIN


def may_edit_content(role: str) -> bool:
    return role in (EDITOR, ADMIN)


def may_chat(role: str) -> bool:
    """Whether `role` answers live chats (and counts as someone available to take one)."""
    return role in (OPERATOR, SUPERVISOR, ADMIN)


def assignable_roles(tier: str) -> tuple[str, ...]:
    """Roles of the people a ticket at `tier` can be assigned to."""
    return tuple(role for role in ROLES if tier in tiers(role))
