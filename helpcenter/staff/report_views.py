"""The supervisors' report page in the staff console: tickets, SLA, satisfaction, search."""

from flask import Blueprint, render_template, request

from helpcenter.staff import access, reports
from helpcenter.staff.views import private_headers, requires

bp = Blueprint("reports", __name__, url_prefix="/staff/reports", template_folder="templates")
bp.after_request(private_headers)


@bp.get("/")
@requires(access.may_read_reports)
def index():
    days = request.args.get("days", type=int)
    if days not in reports.PERIODS:
        days = reports.DEFAULT_DAYS
    return render_template(
        "staff/reports.html", report=reports.report(days=days), periods=reports.PERIODS
    )
