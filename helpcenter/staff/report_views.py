"""The supervisors' report page in the staff console: tickets, SLA, satisfaction, chat, search."""

from datetime import timedelta

from babel.units import format_unit
from flask import Blueprint, render_template, request
from flask_babel import get_locale

from helpcenter.staff import access, reports
from helpcenter.staff.views import private_headers, requires

bp = Blueprint("reports", __name__, url_prefix="/staff/reports", template_folder="templates")
bp.after_request(private_headers)


@bp.app_template_filter("wait")
def wait(delta: timedelta) -> str:
    """A chat's waiting time to the second in the visitor's language ("45 s", "2 min 5 s");
    from an hour on, to the minute like `duration` ("1 h 5 min")."""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        parts = [(hours, "duration-hour"), (minutes, "duration-minute")]
    else:
        parts = [(minutes, "duration-minute"), (seconds, "duration-second")]
    shown = [(n, unit) for n, unit in parts if n] or [(0, "duration-second")]
    locale = get_locale()
    return " ".join(format_unit(n, unit, "short", locale=locale) for n, unit in shown)


@bp.get("/")
@requires(access.may_read_reports)
def index():
    days = request.args.get("days", type=int)
    if days not in reports.PERIODS:
        days = reports.DEFAULT_DAYS
    return render_template(
        "staff/reports.html", report=reports.report(days=days), periods=reports.PERIODS
    )
