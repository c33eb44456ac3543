"""What the audit log's action codes mean, in the staff member's language.

The codes (`ticket_escalate`, `article_publish`) are what the log stores and what exports
and filters use; people read these labels. A ticket action added to the table
(`tickets.actions`) without a label here is shown by its console label.
"""

from flask_babel import lazy_gettext as _l

from helpcenter.tickets import actions

AUDIT_ACTIONS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "logout_everywhere": _l("Signed out everywhere"),
    "password_reset_requested": _l("Asked for a password reset link"),
    "password_reset": _l("Chose a new password with a reset link"),
    "reauth": _l("Entered their password again before an export"),
    "reauth_failed": _l("Entered a wrong password before an export"),
    "login_password": _l("Entered the right password (code asked)"),
    "totp_enrolled": _l("Turned on two-factor authentication"),
    "totp_failed": _l("Entered a wrong two-factor authentication code"),
    "recovery_code_used": _l("Used a recovery code"),
    "totp_reset": _l("Two-factor authentication was reset"),
    "export_csv": _l("Exported tickets (CSV)"),
    "privacy_export": _l("Exported a player's data"),
    "privacy_erase": _l("Erased a player's data"),
    "download": _l("Downloaded a player's file"),
    "files_reencrypt": _l("Re-encrypted the players' stored files"),
    "ticket_reply": _l("Replied to the player"),
    "ticket_note": _l("Added an internal note"),
    "ticket_assign": _l("Assigned the ticket"),
    "ticket_wait": _l("Set the ticket to wait for the player"),
    "ticket_escalate": _l("Escalated the ticket"),
    "ticket_send_back": _l("Sent the ticket back a tier"),
    "ticket_resolve": _l("Resolved the ticket"),
    "ticket_close": _l("Closed the ticket"),
    "ticket_vip": _l("Changed the ticket's VIP level"),
    "chat_presence": _l("Changed their chat availability"),
    "chat_accept": _l("Accepted a chat"),
    "chat_message": _l("Wrote in a chat"),
    "chat_note": _l("Added an internal note to a chat"),
    "chat_transfer": _l("Transferred a chat"),
    "chat_escalate": _l("Escalated a chat"),
    "chat_end": _l("Ended a chat"),
    "article_create": _l("Created an article"),
    "article_save": _l("Saved an article revision"),
    "article_publish": _l("Published an article"),
    "article_unpublish": _l("Took an article off the site"),
    "article_restore": _l("Restored an article revision"),
    "category_save": _l("Saved a category"),
}


def action_label(code: str) -> str:
    """The label of an audit action code; the code itself when it has none."""
    if code in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[code])
    name = code.removeprefix("ticket_")
    if name != code and name in actions.RULES and actions.RULES[name].label:
        return str(actions.RULES[name].label)
    return code
