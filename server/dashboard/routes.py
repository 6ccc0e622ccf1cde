from babel.dates import format_skeleton
from flask import current_app, flash, render_template, request
from flask_babel import format_date, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..errors import Problem
from ..i18n import format_number, native_digits, text_direction
from . import bp, charts, service
from .periods import WEEK


def period_label(period: str):
    """Short labels under the bars: "Nov 2" / "2 nov" / "2 نوفمبر", "Nov 2026"."""
    locale = get_locale()
    skeleton = "MMMd" if period == WEEK else "yMMM"
    return lambda day: native_digits(format_skeleton(skeleton, day, locale=locale), locale)


def period_heading(period: str):
    """Row headers of the tables: the week's Monday in full, or the month and year."""
    locale = get_locale()
    if period == WEEK:
        return lambda day: native_digits(format_date(day, "medium"), locale)
    return lambda day: native_digits(format_skeleton("yMMMM", day, locale=locale), locale)


def number_formatter():
    """format_number, remembered per value for one page: a dashboard shows about a thousand
    numbers, mostly the same few small ones (Babel takes ~8 µs each)."""
    known: dict = {}

    def number(value) -> str:
        shown = known.get(value)
        if shown is None:
            shown = known[value] = format_number(value)
        return shown
    return number


def age(now, then) -> str:
    return native_digits(format_timedelta(now - then, granularity="minute")) if then else ""


@bp.get("/dashboard")
@login_required
def index():
    if not policy.can_view_dashboard(current_user):
        raise Problem("forbidden", status=403)
    try:
        filters = service.parse_filters(current_user, request.args)
    except Problem as problem:
        if problem.status != 400:
            raise
        flash(problem.message, "error")
        filters = service.parse_filters(current_user, {})
    data = service.build(current_user, filters)
    rtl = text_direction() == "rtl"
    number = number_formatter()
    drawn = [(table, charts.bar_chart(table, chart_id=f"chart-{table.key}", rtl=rtl,
                                      period_label=period_label(table.period), number=number,
                                      empty_text=_("Nothing in this period")))
             for table in data.charts]
    response = current_app.make_response(render_template(
        "dashboard/index.html", data=data, drawn=drawn, filters=filters,
        communities=service.viewer_communities(current_user), heading=period_heading, number=number,
        age=age, swatch=charts.swatch, exports=policy.EXPORTS_FOR_FACILITATORS,
        can_export=lambda what: policy.can_export(current_user, what),
        can_export_text=policy.can_export_story_text(current_user)))
    response.headers["Cache-Control"] = "no-store"  # numbers about people: not kept in caches
    return response
