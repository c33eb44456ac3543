"""An administrator's page for a player's rights: export everything held about one email
address, or erase it. Both are written to the audit log; the erasure asks for a confirmation."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Email, InputRequired, Length

from helpcenter import ratelimit
from helpcenter.i18n import _, ngettext
from helpcenter.privacy import services
from helpcenter.staff import access
from helpcenter.staff import services as staff
from helpcenter.staff.views import private_headers, recently_confirmed, requires

bp = Blueprint("privacy", __name__, url_prefix="/staff/privacy", template_folder="templates")
bp.after_request(private_headers)


class PlayerDataForm(FlaskForm):
    email = StringField(
        _l("The player's email address"),
        validators=[
            InputRequired(_l("Enter the player's email address.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.com.")),
        ],
    )
    confirm = BooleanField(_l("I understand that erasing cannot be undone."))


def _page(form: PlayerDataForm, status: int = 200):
    config = current_app.config
    return (
        render_template(
            "privacy/privacy.html",
            form=form,
            files_days=config["RETENTION_FILES_DAYS"],
            personal_days=config["RETENTION_PERSONAL_DAYS"],
        ),
        status,
    )


@bp.get("")
@requires(access.may_read_audit)
@recently_confirmed()
def page():
    return _page(PlayerDataForm(formdata=None))


@bp.post("/export")
@requires(access.may_read_audit)
@recently_confirmed(back="privacy.page")
def export():
    form = PlayerDataForm()
    if not form.validate():
        return _page(form, 422)
    email = form.email.data.strip()
    data, count = services.export(email)
    staff.record_now(
        current_user,
        "privacy_export",
        detail=f"{count} requests of {email}",
        address=ratelimit.client_address(),
    )
    if not count:
        flash(_("No request was filed with %(email)s.", email=email), "error")
        return redirect(url_for(".page"), 303)
    response = current_app.response_class(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="player-data.zip"'
    return response


@bp.post("/erase")
@requires(access.may_read_audit)
@recently_confirmed(back="privacy.page")
def erase():
    form = PlayerDataForm()
    valid = form.validate()
    if valid and not form.confirm.data:
        form.confirm.errors = [_("Confirm that erasing cannot be undone.")]
        valid = False
    if not valid:
        return _page(form, 422)
    email = form.email.data.strip()
    erased = services.erase(email)
    staff.record_now(
        current_user,
        "privacy_erase",
        detail=f"{erased} requests of {email}",
        address=ratelimit.client_address(),
    )
    if erased:
        flash(
            ngettext(
                "%(num)d request of %(email)s erased: its files are deleted and the player's "
                "details removed.",
                "%(num)d requests of %(email)s erased: their files are deleted and the "
                "player's details removed.",
                erased,
                email=email,
            ),
            "success",
        )
    else:
        flash(_("No request was filed with %(email)s.", email=email), "error")
    return redirect(url_for(".page"), 303)
