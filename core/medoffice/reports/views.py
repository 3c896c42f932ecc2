"""Report pages: the list, a report's parameter form and result, and its CSV and PDF downloads.

Everything is a GET with the parameters in the query string, so a result is a bookmarkable URL.
Viewing a report and every download are audited (reports may list patients).
"""
from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_login import current_user

from .. import audit, settings
from ..auth.access import grants_key, require, requires
from ..web import core_blueprint as bp
from ..web.kept import kept_template
from ..web.shell import render_page
from . import charts, params, registry, render


def _report_or_404(report_id: str):
    spec = registry.find(report_id)
    if spec is None:
        abort(404)
    require(spec.permission)
    return spec


def _parse(spec, show_errors_on_first_visit: bool):
    """(form, values, status): values is None when the parameters are missing or invalid."""
    data, submitted = params.request_data(spec, request.args)
    form = params.build_form(spec, data)
    values = params.validate(spec, form)
    if values is not None:
        return form, values, 200
    if not submitted and not show_errors_on_first_visit:
        # A first visit whose defaults do not make a valid run: show the form, no errors yet.
        return params.build_form(spec, data), None, 200
    return form, None, 422


def _page(spec, form, run=None, status=200):
    context = {"spec": spec, "form": form, "run": run, "cell": render.cell_text, "numeric": render.is_numeric}
    if run is not None:
        args = params.query_args(spec, run.values)
        context.update(
            args=args,
            described=params.describe(spec, form, run.values),
            ran_at=render.local_timestamp(run),
            totals_label=render.totals_label(run),
            chart_uri=charts.chart_data_uri(run),
            sort_url=lambda key: sort_url(spec, run, key),
            csv_url=url_for("core.report_csv", report_id=spec.id, **args),
            pdf_url=url_for("core.report_pdf", report_id=spec.id, **args),
        )
    page = render_page("reports/report.html", title=spec.title, **context,
                       breadcrumbs=[("Reports", url_for("core.reports")), (spec.title, None)])
    return page, status


def sort_url(spec, run, key: str) -> str:
    """The report's URL sorted by column ``key`` (descending when it is already sorted ascending)."""
    desc = run.sort == key and not run.desc
    return url_for("core.report", report_id=spec.id, **params.query_args(spec, run.values),
                   sort=key, desc=1 if desc else None)


def _audit_export(spec, values, fmt: str) -> None:
    audit.record("report.export", "report", spec.id, detail={"format": fmt, "params": params.jsonable(values)})


def _download(body, mimetype: str, spec, run, ext: str) -> Response:
    filename = f"{spec.id.replace('.', '-')}-{run.at.astimezone(settings.practice_timezone()):%Y%m%d-%H%M}.{ext}"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/reports")
@requires("core.reports.view")
def reports():
    """The reports the user may run, grouped by category."""
    listing = kept_template((), (grants_key(current_user._get_current_object()),), "reports/_list.html",
                            lambda: {"groups": registry.grouped(registry.visible_reports())})
    return render_page("reports/list.html", title="Reports", listing=listing, breadcrumbs=[("Reports", None)])


@bp.route("/reports/<report_id>")
@requires("core.reports.view")
def report(report_id: str):
    """A report: its parameter form and, once the parameters are valid, the result (audited)."""
    spec = _report_or_404(report_id)
    form, values, status = _parse(spec, show_errors_on_first_visit=False)
    if values is None:
        return _page(spec, form, status=status)
    run = registry.execute(spec, values, sort=request.args.get("sort"), desc=request.args.get("desc") == "1")
    audit.record_read("report.view", "report", spec.id, detail={"params": params.jsonable(values)})
    return _page(spec, form, run)


@bp.route("/reports/<report_id>.csv")
@requires("core.reports.view")
def report_csv(report_id: str):
    """The result as a CSV download (money as decimal dollars, ISO dates); audited as an export."""
    spec = _report_or_404(report_id)
    form, values, status = _parse(spec, show_errors_on_first_visit=True)
    if values is None:
        return _page(spec, form, status=status)
    run = registry.execute(spec, values, sort=request.args.get("sort"), desc=request.args.get("desc") == "1")
    text = render.to_csv(run)
    _audit_export(spec, values, "csv")
    return _download(text, "text/csv", spec, run, "csv")


@bp.route("/reports/<report_id>.pdf")
@requires("core.reports.view")
def report_pdf(report_id: str):
    """The result as a PDF (practice name, parameters, run time, table and chart); audited."""
    spec = _report_or_404(report_id)
    form, values, status = _parse(spec, show_errors_on_first_visit=True)
    if values is None:
        return _page(spec, form, status=status)
    run = registry.execute(spec, values, sort=request.args.get("sort"), desc=request.args.get("desc") == "1")
    html = render_template(
        "reports/pdf.html", spec=spec, run=run, cell=render.cell_text, numeric=render.is_numeric,
        practice_name=settings.get("core.practice_name", ""), described=params.describe(spec, form, values),
        ran_at=render.local_timestamp(run), totals_label=render.totals_label(run),
        chart_uri=charts.chart_data_uri(run),
    )
    pdf = render.to_pdf(html)
    _audit_export(spec, values, "pdf")
    return _download(pdf, "application/pdf", spec, run, "pdf")
