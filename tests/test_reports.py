"""Reports: registry and permissions, typed parameters, HTML/CSV/PDF/chart output, CLI, audit."""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice import ChartSpec, Column, Permission, PluginInfo, ReportParam, ReportResult, ReportSpec, hookimpl
from medoffice.db import db
from medoffice.models import AuditEvent, Location, Patient, StaffMember


# --- a plugin that contributes a report ----------------------------------------------------

def _demo_sales(since, kind, min_count=None, detailed=True):
    """Three days of made-up takings derived from the parameters (money in cents)."""
    rows = [{"day": since + dt.timedelta(days=i), "count": (i + 1) * 10 + (min_count or 0),
             "amount": (i + 1) * 123456, "share": (i + 1) * 1666} for i in range(3)]
    return ReportResult(
        columns=[Column("day", "Day", "date"), Column("count", "Visits", "int"),
                 Column("amount", "Takings", "cents"), Column("share", "Share", "percent")],
        rows=rows,
        totals={"count": sum(r["count"] for r in rows), "amount": sum(r["amount"] for r in rows)},
        chart=ChartSpec("line", x="day", series=("amount",), title="Takings by day"),
        notes=f"kind={kind} detailed={'yes' if detailed else 'no'}",
    )


def _make_demo_plugin() -> types.ModuleType:
    module = types.ModuleType("reportdemo_plugin")
    module.__file__ = __file__  # the host looks for templates and migrations beside it
    module.PLUGIN = PluginInfo(name="reportdemo", title="Report demo")

    @hookimpl
    def medoffice_permissions():
        return [Permission("reportdemo.view", "Run the demo report", default_roles=("admin",))]

    @hookimpl
    def medoffice_reports():
        return [ReportSpec(
            id="reportdemo.sales", title="Demo takings", permission="reportdemo.view", category="Finance",
            description="Takings per day.", run=_demo_sales,
            params=[
                ReportParam("since", "Since", kind="date", required=True, default=dt.date(2024, 3, 1)),
                ReportParam("kind", "Kind", kind="choice", required=True, default="visit",
                            choices=lambda: [("visit", "Visits"), ("supply", "Supplies")]),
                ReportParam("min_count", "Minimum", kind="int"),
                ReportParam("detailed", "Detailed", kind="bool", default=True),
            ],
        )]

    module.medoffice_permissions = medoffice_permissions
    module.medoffice_reports = medoffice_reports
    return module


@pytest.fixture
def demo_app(make_app):
    return make_app(extra=[_make_demo_plugin()])


def _login(app, role="admin"):
    from medoffice.testing import login

    return login(app.test_client(), role)


def _seed_patients(app) -> dict:
    """Two locations (and an inactive one), a provider, five active patients and one inactive."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        main = Location.create(name="Main Street")
        north = Location.create(name="Northside")
        Location.create(name="Closed clinic", active=False)
        doctor = StaffMember.create(first_name="Ann", last_name="Ito", credentials="MD", is_provider=True)
        StaffMember.create(first_name="Bo", last_name="Clerk", is_provider=False)
        plan = [(main, doctor), (main, doctor), (main, None), (north, doctor), (None, None)]
        for i, (location, provider) in enumerate(plan):
            Patient.create(account_number=f"T{i}", first_name="Pat", last_name=f"Test{i}",
                           date_of_birth=dt.date(1970, 1, 1), location=location, primary_provider=provider)
        Patient.create(account_number="T9", first_name="Gone", last_name="Away", date_of_birth=dt.date(1970, 1, 1),
                       location=north, active=False)
        ids = {"main": main.id, "north": north.id, "doctor": doctor.id}
        db.close()
    return ids


def _audit(app, action):
    with app.app_context():
        db.connect(reuse_if_open=True)
        events = [(e.username, e.object_id, json.loads(e.detail))
                  for e in AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq)]
        db.close()
    return events


def _csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _tbody_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _chart_svg(html: str) -> str:
    match = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert match, "no inline chart image"
    return base64.b64decode(match.group(1)).decode("utf-8")


# --- core reports over HTML, CSV, PDF -------------------------------------------------------

def test_patients_by_location_page_csv_pdf_and_chart(app, admin_client):
    ids = _seed_patients(app)
    listing = admin_client.get("/reports").get_data(as_text=True)
    assert "Patients by location" in listing and "Audit activity" in listing
    groups = re.findall(r'<h2 id="report-group-\d+">(.*?)</h2>', listing)
    assert {"Compliance", "Patients"} <= set(groups) and groups == sorted(groups)  # grouped by category

    page = admin_client.get("/reports/core.patients_by_location")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _tbody_rows(html) == [["Main Street", "3", "60.00%"], ["Northside", "1", "20.00%"],
                                 ["(no location)", "1", "20.00%"]]
    assert '<td class="num">5</td>' in html and '<td class="num">100.00%</td>' in html  # totals row
    # The provider parameter lists providers only, from the staff table.
    assert f'<option value="{ids["doctor"]}">Ito, Ann, MD</option>' in html and "Clerk" not in html
    svg = _chart_svg(html)
    assert "Active patients" in svg and "Main Street" in svg and "<script" not in svg

    rows = _csv(admin_client.get("/reports/core.patients_by_location.csv"))
    assert rows == [["Location", "Active patients", "Share"], ["Main Street", "3", "60.00"],
                    ["Northside", "1", "20.00"], ["(no location)", "1", "20.00"], ["Total", "5", "100.00"]]
    filtered = _csv(admin_client.get(f"/reports/core.patients_by_location.csv?provider={ids['doctor']}"))
    assert filtered[1:] == [["Main Street", "2", "66.67"], ["Northside", "1", "33.33"], ["Total", "3", "100.00"]]

    pdf = admin_client.get(f"/reports/core.patients_by_location.pdf?provider={ids['doctor']}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and len(pdf.data) > 5000

    exports = _audit(app, "report.export")
    assert [(obj, detail["format"], detail["params"]) for _, obj, detail in exports] == [
        ("core.patients_by_location", "csv", {"provider": None}),
        ("core.patients_by_location", "csv", {"provider": ids["doctor"]}),
        ("core.patients_by_location", "pdf", {"provider": ids["doctor"]}),
    ]
    assert all(user.startswith("user") for user, _, _ in exports)
    assert len(_audit(app, "report.view")) == 1


def test_sorting_by_header_re_requests_with_sort_and_desc(app, admin_client):
    _seed_patients(app)
    html = admin_client.get("/reports/core.patients_by_location?run=1&sort=location").get_data(as_text=True)
    assert [r[0] for r in _tbody_rows(html)] == ["(no location)", "Main Street", "Northside"]
    assert 'aria-sort="ascending"' in html
    # The header of the sorted column now offers the descending order.
    assert 'href="/reports/core.patients_by_location?run=1&amp;sort=location&amp;desc=1"' in html
    html = admin_client.get("/reports/core.patients_by_location?run=1&sort=location&desc=1").get_data(as_text=True)
    assert [r[0] for r in _tbody_rows(html)] == ["Northside", "Main Street", "(no location)"]
    html = admin_client.get("/reports/core.patients_by_location?run=1&sort=patients&desc=1").get_data(as_text=True)
    assert [r[1] for r in _tbody_rows(html)] == ["3", "1", "1"]
    assert "Total" in html.split("<tfoot>", 1)[1]  # totals stay at the bottom
    rows = _csv(admin_client.get("/reports/core.patients_by_location.csv?run=1&sort=location&desc=1"))
    assert [r[0] for r in rows[1:-1]] == ["Northside", "Main Street", "(no location)"]


def test_htmx_request_gets_the_fragment(app, admin_client):
    response = admin_client.get("/reports/core.patients_by_location?run=1", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="report"' in html
    assert 'hx-push-url="true"' in html


def test_audit_activity_counts_per_user_and_action(app, admin_client):
    from medoffice import audit
    from medoffice.settings import today

    with app.test_request_context():
        db.connect(reuse_if_open=True)
        for _ in range(3):
            audit.record("demo.thing", "x", 1, username="alice")
        audit.record("demo.other", "x", 1, username="alice")
        audit.record("demo.thing", "x", 1, username="bob")
        day = today()
        db.close()
    rows = _csv(admin_client.get(f"/reports/core.audit_activity.csv?start={day}&end={day}&action=demo."))
    assert rows == [["User", "Action", "Entries"], ["alice", "demo.other", "1"], ["alice", "demo.thing", "3"],
                    ["bob", "demo.thing", "1"], ["Total", "", "5"]]
    yesterday = day - dt.timedelta(days=1)
    rows = _csv(admin_client.get(f"/reports/core.audit_activity.csv?start={yesterday}&end={yesterday}"))
    assert rows == [["User", "Action", "Entries"], ["Total", "", "0"]]


def test_audit_activity_needs_the_audit_permission(app, client_as):
    assert "Audit activity" in client_as("auditor").get("/reports").get_data(as_text=True)
    billing = client_as("billing")  # holds core.reports.view but not core.audit.view
    listing = billing.get("/reports").get_data(as_text=True)  # the list is kept per what its viewer may do
    assert "Patients by location" in listing and "Audit activity" not in listing
    assert billing.get("/reports/core.audit_activity").status_code == 403
    assert billing.get("/reports/core.audit_activity.csv").status_code == 403
    assert client_as("front_desk").get("/reports").status_code == 403
    assert client_as("auditor").get("/reports/core.audit_activity").status_code == 200


# --- parameter validation ---------------------------------------------------------------------

def test_bad_parameters_give_422_with_inline_errors_and_no_run(app, admin_client):
    cases = [
        ("start=2024-02-30&end=2024-03-01", "param-start-error", "Enter a real date as YYYY-MM-DD."),
        ("start=2024-03-05&end=2024-03-01", "param-end-error", "The end date must be on or after the start date."),
        ("start=&end=2024-03-01", "param-start-error", "Enter a date."),
    ]
    for query, error_id, message in cases:
        response = admin_client.get(f"/reports/core.audit_activity?run=1&{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, query
        assert f'id="{error_id}"' in html and message in html
        assert "report-result" not in html
        export = admin_client.get(f"/reports/core.audit_activity.csv?run=1&{query}")
        assert export.status_code == 422 and export.mimetype == "text/html"
    response = admin_client.get("/reports/core.patients_by_location?provider=999999")
    assert response.status_code == 422 and 'id="param-provider-error"' in response.get_data(as_text=True)
    assert _audit(app, "report.view") == [] and _audit(app, "report.export") == []


def test_plugin_report_params_money_chart_and_bools(demo_app):
    client = _login(demo_app)
    listing = client.get("/reports").get_data(as_text=True)
    assert "Demo takings" in listing and ">Finance<" in listing

    first = client.get("/reports/reportdemo.sales").get_data(as_text=True)  # defaults run at once
    assert _tbody_rows(first)[0] == ["2024-03-01", "10", "$1,234.56", "16.66%"]
    assert '<td class="num">$7,407.36</td>' in first and "kind=visit detailed=yes" in first
    svg = _chart_svg(first)
    assert "Takings" in svg and "2024-03-03" in svg and "$3,703.68" in svg

    rows = _csv(client.get("/reports/reportdemo.sales.csv?run=1&since=2024-02-28&kind=supply&min_count=5"))
    assert rows[0] == ["Day", "Visits", "Takings", "Share"]
    assert rows[1:] == [["2024-02-28", "15", "1234.56", "16.66"], ["2024-02-29", "25", "2469.12", "33.32"],
                        ["2024-03-01", "35", "3703.68", "49.98"], ["Total", "75", "7407.36", ""]]
    # A submitted form without the box ticked means "no", not the default.
    unchecked = client.get("/reports/reportdemo.sales?run=1&since=2024-03-01&kind=supply").get_data(as_text=True)
    assert "kind=supply detailed=no" in unchecked

    for query, field in [("kind=other", "kind"), ("min_count=ten", "min_count"), ("kind=", "kind")]:
        bad = client.get(f"/reports/reportdemo.sales?run=1&since=2024-03-01&{query}")
        assert bad.status_code == 422, query
        assert f'id="param-{field}-error"' in bad.get_data(as_text=True)


def test_plugin_report_disappears_when_disabled_and_is_forbidden_without_permission(demo_app):
    admin = _login(demo_app)
    billing = _login(demo_app, "billing")
    assert "Demo takings" not in billing.get("/reports").get_data(as_text=True)
    assert billing.get("/reports/reportdemo.sales").status_code == 403
    assert billing.get("/reports/reportdemo.sales.pdf").status_code == 403

    assert "Demo takings" in admin.get("/reports").get_data(as_text=True)
    with demo_app.app_context():
        db.connect(reuse_if_open=True)
        demo_app.extensions["medoffice"].disable("reportdemo", by="test")
        db.close()
    assert "Demo takings" not in admin.get("/reports").get_data(as_text=True)
    assert admin.get("/reports/reportdemo.sales").status_code == 404
    assert admin.get("/reports/reportdemo.sales.csv").status_code == 404


# --- the command line -------------------------------------------------------------------------

@pytest.fixture
def cli(app):
    """Invoke ``medoffice --instance <the app's instance> ...`` on the app's database."""
    from medoffice import config
    from medoffice.cli import main

    instance = Path(app.instance_path)
    if not (instance / config.CONFIG_NAME).exists():
        config.write_new(instance)
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config["DATABASE_URL"] else {}

    def invoke(*args):
        return CliRunner().invoke(main, ["--instance", str(instance), *args], env=env, catch_exceptions=False)

    return invoke


def test_cli_lists_and_runs_reports_and_audits(app, cli, tmp_path):
    ids = _seed_patients(app)
    listed = cli("reports", "list", "--json")
    assert listed.exit_code == 0, listed.output
    by_id = {r["id"]: r for r in json.loads(listed.output)}
    assert by_id["core.audit_activity"]["params"][0] == {
        "name": "start", "label": "From", "kind": "date", "required": True}
    plain = cli("reports", "list")
    assert plain.exit_code == 0 and "core.patients_by_location" in plain.output

    result = cli("reports", "run", "core.patients_by_location", "--param", f"provider={ids['doctor']}")
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == [
        ["Location", "Active patients", "Share"], ["Main Street", "2", "66.67"],
        ["Northside", "1", "33.33"], ["Total", "3", "100.00"]]

    out = tmp_path / "activity.json"
    result = cli("reports", "run", "core.audit_activity", "--param", "start=2000-01-01",
                 "--format", "json", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["report"] == "core.audit_activity" and data["params"]["start"] == "2000-01-01"
    assert [c["key"] for c in data["columns"]] == ["username", "action", "entries"]
    assert data["totals"]["entries"] == sum(r["entries"] for r in data["rows"]) > 0

    exports = _audit(app, "report.export")
    assert [(u, o, d["format"]) for u, o, d in exports] == [
        ("cli", "core.patients_by_location", "csv"), ("cli", "core.audit_activity", "json")]


def test_cli_errors_exit_non_zero_with_a_clear_message(app, cli):
    cases = [
        (["reports", "run", "core.nope"], "no report 'core.nope'"),
        (["reports", "run", "core.audit_activity", "--param", "start=2024-02-30"], "start: Enter a real date"),
        (["reports", "run", "core.audit_activity", "--param", "colour=red"], "has no parameter 'colour'"),
        (["reports", "run", "core.audit_activity", "--param", "start"], "NAME=VALUE"),
        (["reports", "run", "core.audit_activity", "--param", "start=2024-03-02", "--param", "end=2024-03-01"],
         "end: The end date must be on or after the start date."),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert _audit(app, "report.export") == []
