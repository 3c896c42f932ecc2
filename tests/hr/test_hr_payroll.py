"""Pay runs through the pages: pre-payroll checks that block (no W-4, unapproved time), gross from
approved time with overtime, salary, bonuses and benefit deductions, posting that publishes a
balanced journal and freezes the run, a correcting run, pay stubs only to their owner, the CSV
export, the NACHA file, Form 941 and W-2 totals, and the tax table import."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from medoffice import settings
from medoffice.events.models import EventRecord
from medoffice.models import StaffMember, User
from medoffice.money import format_cents
from medoffice.testing import connected, login

from medoffice_hr import tax_tables, timesheets
from medoffice_hr.models import Employment
from medoffice_hr.payroll_models import PayRun, PayStub, TaxTable
from medoffice_hr.time_models import Timesheet


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _person(app, hr, username, first, rate, basis="hourly", supervisor=None, exempt=False):
    client = login(app.test_client(), "front_desk", username=username)
    with connected(app):
        staff = StaffMember.create(first_name=first, last_name="Test", job_title="Front desk")
        User.update(staff=staff.id).where(User.username == username).execute()
    data = {"hire_date": "2024-01-08", "end_date": "", "status": "active", "employment_type": "full_time",
            "job_title": "Front desk", "department": "", "location": "", "supervisor": str(supervisor or "")}
    if exempt:
        data["flsa_exempt"] = "y"
    assert hr.post(f"/hr/employees/{staff.id}/employment", data=data).status_code == 302
    assert hr.post(f"/hr/employees/{staff.id}/pay-rates", data={"effective_on": "2024-01-08", "basis": basis,
                                                               "amount": rate}).status_code == 302
    return client, staff.id


def _w4(hr, staff_id, **extra):
    data = {"filing_status": "single", "step3": "0", "step4a": "0", "step4b": "0", "step4c": "0",
            "state_allowances": "0", **extra}
    return hr.post(f"/hr/employees/{staff_id}/payroll", data=data)


def test_a_pay_run_from_checks_to_posting_stubs_exports_and_correction(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    with connected(hr_app):
        settings.set_many({"hr.pay_frequency": "biweekly", "hr.pay_period_anchor": "2026-01-04",
                           "hr.payroll_state": "PA", "hr.suta_rate_bp": 270})
        start, _ = timesheets.period_of(settings.today())
        start, end = timesheets.period_of(start - dt.timedelta(days=1))
    sam, sam_id = _person(hr_app, hr, "sam", "Sam", "52000", basis="salary", exempt=True)
    ann, ann_id = _person(hr_app, hr, "ann", "Ann", "20.00", supervisor=sam_id)
    pay_date = end + dt.timedelta(days=5)
    assert "Pay run " not in _text(hr.get("/hr/payroll"))  # the list is kept from here on
    created = hr.post("/hr/payroll", data={"period_day": start.isoformat(), "pay_date": pay_date.isoformat()})
    assert created.status_code == 302
    run_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert f">Pay run {run_id}</a>" in _text(hr.get("/hr/payroll"))  # the new run shows at once
    page = _text(hr.get(f"/hr/payroll/{run_id}"))
    assert "has no W-4 on file" in page
    assert hr.post(f"/hr/payroll/{run_id}/post").status_code == 422
    assert _w4(hr, ann_id, step3="-5").status_code == 422  # an impossible W-4 is refused
    assert _w4(hr, ann_id, state_allowances="1").status_code == 302
    assert _w4(hr, sam_id).status_code == 302
    assert "time in this period that is not approved" in _text(hr.get(f"/hr/payroll/{run_id}"))
    url = f"/hr/timesheets/{ann_id}/{start.isoformat()}"
    for n in range(5):
        day = (start + dt.timedelta(days=1 + n)).isoformat()
        sam.post(f"{url}/entries", data={"kind": "work", "started_at": f"{day}T08:00", "ended_at": f"{day}T17:00",
                                         "reason": "Paper timesheet"})
    assert sam.post(f"{url}/approve").status_code == 302
    hr.post("/hr/benefits", data={"form": "plan", "name": "Health", "kind": "health", "pretax": "y", "active": "y"})
    with connected(hr_app):
        from medoffice_hr.benefits_models import BenefitPlan
        plan = BenefitPlan.get()
    assert hr.post(f"/hr/benefits/plans/{plan.id}", data={"name": "Employee", "employee_monthly": "130.00",
                                                          "employer_monthly": "400.00"}).status_code == 302
    with connected(hr_app):
        tier = plan.tiers.get()
    assert hr.post(f"/hr/employees/{sam_id}/benefits", data={"plan": str(plan.id), "tier": str(tier.id),
                                                             "starts_on": "2025-01-01"}).status_code == 302
    with connected(hr_app):
        sam_employment = Employment.get(Employment.staff == sam_id).id
    assert hr.post(f"/hr/payroll/{run_id}/bonus", data={"employment": str(sam_employment), "amount": "-5",
                                                        "note": ""}).status_code == 422
    assert hr.post(f"/hr/payroll/{run_id}/bonus", data={"employment": str(sam_employment), "amount": "100.00",
                                                        "note": "Year end"}).status_code == 302
    assert "Nothing blocks this run" in _text(hr.get(f"/hr/payroll/{run_id}"))
    assert hr.post(f"/hr/payroll/{run_id}/post").status_code == 302
    with connected(hr_app):
        stubs = {s.employment.staff_id: s for s in PayStub.select().where(PayStub.run == run_id)}
        assert (stubs[ann_id].regular_cents, stubs[ann_id].overtime_cents, stubs[ann_id].gross_cents) == (80_000, 15_000, 95_000)
        assert stubs[sam_id].regular_cents == 200_000 and stubs[sam_id].gross_cents == 210_000
        assert stubs[sam_id].pretax_125_cents == 6_000  # 130 a month x 12 / 26
        assert stubs[sam_id].fica_wages_cents == 204_000
        lines = [json.loads(e.payload) for e in EventRecord.select().where(EventRecord.name == "hr.payroll_journal_line")]
        wages = sum(line["amount_cents"] for line in lines if line["debit"] == "wages")
        assert wages == 95_000 + 210_000  # the journal balances against the gross
        employer = sum(line["amount_cents"] for line in lines if line["debit"] == "employer_taxes")
        assert employer == sum(s.employer_social_security_cents + s.employer_medicare_cents + s.employer_futa_cents
                               + s.employer_suta_cents for s in stubs.values())
        assert Timesheet.get().status == "paid"
    assert hr.post(f"/hr/payroll/{run_id}/post").status_code == 422  # posted once
    page = _text(hr.get(f"/hr/payroll/{run_id}"))
    with connected(hr_app):
        poster = User.get(User.username == "hana")
        sam_row = (f'<td class="numeric">{stubs[sam_id].regular_minutes / 60:.2f}</td>'
                   f'<td class="numeric">{format_cents(stubs[sam_id].gross_cents)}</td>'
                   f'<td class="numeric">{format_cents(stubs[sam_id].pretax_401k_cents + stubs[sam_id].pretax_125_cents)}</td>')
        gross, net = (sum(s.gross_cents for s in stubs.values()), sum(s.net_cents for s in stubs.values()))
    assert sam_row in page and "$2,100.00" in page and f"by {poster.full_name or 'hana'}</p>" in page
    assert f'<tfoot><tr><th>Total</th><td></td><td class="numeric">{format_cents(gross)}</td>' in page
    assert f'<td class="numeric">{format_cents(net)}</td><td class="numeric">' in page.split("<tfoot>")[1]
    assert hr.post(f"/hr/payroll/{run_id}/bonus", data={"employment": str(sam_employment),
                                                        "amount": "1.00"}).status_code == 422  # immutable
    assert sam.post(f"{url}/reopen", data={"reason": "late change"}).status_code == 422  # paid time stays
    own = ann.get(f"/hr/pay-stubs/{stubs[ann_id].id}.pdf")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")
    assert ann.get(f"/hr/pay-stubs/{stubs[sam_id].id}.pdf").status_code == 404
    assert hr.get(f"/hr/pay-stubs/{stubs[sam_id].id}.pdf").status_code == 200
    assert "Pay stub (PDF)" in _text(ann.get("/hr/me/pay"))
    register = hr.get(f"/reports/hr.payroll_register.csv?start={pay_date.isoformat()}&end={pay_date.isoformat()}")
    assert register.status_code == 200
    lines = _text(register).splitlines()
    gross, withheld, deductions, net = lines[1].split(",")[4:8]  # one run, then the totals line
    assert len(lines) == 3 and gross == "3050.00" and deductions == "60.00"  # section 125: 130 a month x 12 / 26
    assert net == f"{sum(s.net_cents for s in stubs.values()) / 100:.2f}"
    assert f"{float(gross) - float(withheld) - float(deductions):.2f}" == net
    assert ann.get(f"/reports/hr.payroll_register?start={pay_date.isoformat()}&end={pay_date.isoformat()}"
                   ).status_code == 403  # pay is for payroll staff
    exported = _text(hr.get(f"/hr/payroll/{run_id}/export.csv"))
    assert "hourly,20.00,40.00,5.00,0.00,800.00,150.00,0.00,0.00,950.00" in exported
    assert hr.get(f"/hr/payroll/{run_id}/direct-deposit.ach").status_code == 422  # no bank settings yet
    with connected(hr_app):
        settings.set_many({"hr.ach_immediate_destination": "011000015", "hr.ach_destination_name": "First Bank",
                           "hr.ach_immediate_origin": "1123456789", "hr.ach_company_id": "1123456789",
                           "hr.ach_originating_dfi": "01100001"})
    hr.post(f"/hr/employees/{ann_id}/sensitive", data={"bank_routing": "011000015", "bank_account": "000123456789"})
    ach = hr.get(f"/hr/payroll/{run_id}/direct-deposit.ach")
    assert ach.status_code == 200
    records = _text(ach).split("\r\n")
    assert records[2].startswith("622011000015000123456789") and records[2][29:39] == f"{stubs[ann_id].net_cents:010d}"
    correcting = hr.post(f"/hr/payroll/{run_id}/correct")
    correction_id = int(correcting.headers["Location"].rstrip("/").split("/")[-1])
    with connected(hr_app):
        ann_employment = Employment.get(Employment.staff == ann_id).id
    hr.post(f"/hr/payroll/{correction_id}/bonus", data={"employment": str(ann_employment), "amount": "50.00",
                                                        "note": "Missed hours"})
    assert hr.post(f"/hr/payroll/{correction_id}/post").status_code == 302
    with connected(hr_app):
        correction = PayRun.get_by_id(correction_id)
        assert correction.kind == "correcting" and correction.corrects_id == run_id
        assert [s.gross_cents for s in correction.stubs] == [5_000]
    report = _text(hr.get(f"/hr/payroll/reports/941?year={pay_date.year}&quarter={(pay_date.month - 1) // 3 + 1}"))
    assert "Employees paid" in report and "$3,040.00" in report  # line 2: 950 + 2,100 + 50 of gross, less 60 section 125
    w2 = _text(hr.get(f"/hr/payroll/reports/w2?year={pay_date.year}"))
    assert "Test, Ann" in w2 and "$1,000.00" in w2
    assert ann.get("/hr/payroll").status_code == 403


def test_tax_tables_import_validates_and_versions(hr_app):
    with connected(hr_app):
        text = json.dumps(tax_tables.shipped(2025))
        assert tax_tables.import_text("{not json")[1]
        broken = json.loads(text)
        broken["futa"]["wage_base_cents"] = -1
        row, problems = tax_tables.import_text(json.dumps(broken))
        assert row is None and problems and TaxTable.select().count() == 0
        row, problems = tax_tables.import_text(text)
        assert problems == [] and row.version == 1
        assert tax_tables.import_text(text) == (None, [])  # the same content twice writes nothing
        changed = json.loads(text)
        changed["social_security"]["wage_base_cents"] = 18_000_000
        row, _ = tax_tables.import_text(json.dumps(changed))
        assert row.version == 2 and tax_tables.for_year(2025)["social_security"]["wage_base_cents"] == 18_000_000
        with pytest.raises(tax_tables.TaxTableError):
            tax_tables.for_year(2031)


def test_the_command_line_previews_a_paycheck_and_imports_a_table(make_app, tmp_path):
    from click.testing import CliRunner
    from medoffice.cli import main

    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    app = make_app(instance=instance, plugins=["hr"])
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    base = ["--instance", app.instance_path, "hr"]
    result = CliRunner().invoke(main, [*base, "payroll", "preview", "--filing-status", "single", "--pay-frequency",
                                       "biweekly", "--gross-cents", "200000", "--pretax-401k-cents", "10000",
                                       "--year", "2025", "--json"], env=env)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["federal_income_tax_cents"] == 14_960  # 1i: 49,400 - 8,600 = 40,800 -> 3,889.50 / 26 = 149.60
    assert figures["social_security_cents"] == 12_400 and figures["pretax_cents"] == 10_000
    assert figures["net_cents"] == 200_000 - 10_000 - 14_960 - 12_400 - 2_900
    refused = CliRunner().invoke(main, [*base, "payroll", "preview", "--filing-status", "single", "--pay-frequency",
                                        "biweekly", "--gross-cents", "-5", "--json"], env=env)
    assert refused.exit_code == 2 and "cannot be negative" in refused.output
    table = tmp_path / "2025.json"
    table.write_text(json.dumps(tax_tables.shipped(2025)))
    imported = CliRunner().invoke(main, [*base, "tax-tables", "import", str(table)], env=env)
    assert imported.exit_code == 0 and "version 1" in imported.output, imported.output
    again = CliRunner().invoke(main, [*base, "tax-tables", "import", str(table)], env=env)
    assert "nothing to do" in again.output
    table.write_text("{}")
    bad = CliRunner().invoke(main, [*base, "tax-tables", "import", str(table)], env=env)
    assert bad.exit_code == 1 and "refused" in bad.output


def test_an_unbalanced_run_is_refused_and_the_register_reads_alike_for_more_people(hr_app, monkeypatch):
    from medoffice.testing import page_queries

    from medoffice_hr.views import payroll as payroll_views

    from medoffice_hr import payroll
    from medoffice_hr.employees import HrError

    hr = login(hr_app.test_client(), "hr", username="hana")
    with connected(hr_app):
        settings.set_many({"hr.payroll_state": "TX"})
    _sam, sam_id = _person(hr_app, hr, "sam", "Sam", "52000", basis="salary", exempt=True)
    _w4(hr, sam_id)

    def run_for(day, paid):
        created = hr.post("/hr/payroll", data={"period_day": day, "pay_date": paid})
        return int(created.headers["Location"].rstrip("/").split("/")[-1])

    first = run_for("2025-06-10", "2025-06-20")
    with connected(hr_app):
        run = PayRun.get_by_id(first)
        payroll.compute(run)
        PayStub.update(net_cents=PayStub.net_cents + 1).execute()  # a stub whose parts no longer add up
        with pytest.raises(HrError, match="does not balance"):
            payroll.journal(run)
        assert EventRecord.select().where(EventRecord.name == "hr.payroll_journal_line").count() == 0
        payroll.post(run, "hana")  # posting recomputes the draft: the run balances again
    one = len(page_queries(hr, f"/hr/payroll/{first}"))
    for n in range(4):
        _client, other = _person(hr_app, hr, f"p{n}", f"P{n}", "60000", basis="salary", exempt=True)
        _w4(hr, other)
    second = run_for("2025-06-24", "2025-07-03")
    with connected(hr_app):
        payroll.post(PayRun.get_by_id(second), "hana")
        assert PayStub.select().where(PayStub.run == second).count() == 5
    assert len(page_queries(hr, f"/hr/payroll/{second}")) == one  # the register of five reads as one
    whole = _text(hr.get(f"/hr/payroll/{second}"))
    monkeypatch.setattr(payroll_views, "REGISTER_PER_PAGE", 2)  # five stubs: three pages
    pages = [_text(hr.get(f"/hr/payroll/{second}?page={n}")) for n in (1, 2, 3)]
    assert len(page_queries(hr, f"/hr/payroll/{second}?page=3")) == one  # a page reads as the whole register
    for n, page in enumerate(pages):
        assert f"Page {n + 1} of 3" in page and "Total of all 5" in page
    shown = [page.split("<tbody>")[1].split("</tbody>")[0] for page in pages]
    names = ("Test, P0", "Test, P1", "Test, P2", "Test, P3", "Test, Sam")
    assert [sum(name in rows for name in names) for rows in shown] == [2, 2, 1]  # each stub on one page
    assert whole.split("<tfoot>")[1].split("</tfoot>")[0] == pages[2].split("<tfoot>")[1].split("</tfoot>")[0] \
        .replace("Total of all 5", "Total")  # every page's totals are the whole run's
    assert len(page_queries(hr, "/hr/timesheets?day=2025-06-10")) == len(page_queries(hr, "/hr/timesheets?day=2025-06-24"))


def test_a_net_below_zero_blocks_the_run_and_deductions_are_checked(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    with connected(hr_app):
        settings.set_many({"hr.payroll_state": "TX"})
    _sam, sam_id = _person(hr_app, hr, "sam", "Sam", "26000", basis="salary", exempt=True)  # 1,000 a period
    _w4(hr, sam_id)
    refused = hr.post(f"/hr/employees/{sam_id}/deductions", data={"kind": "section125", "amount": "10", "percent": "5",
                                                                  "starts_on": "2025-01-01"})
    assert refused.status_code == 422  # an amount and a percent at once
    assert hr.post(f"/hr/employees/{sam_id}/deductions", data={"kind": "posttax", "description": "Garnishment",
                                                               "amount": "1500.00", "starts_on": "2025-01-01"}).status_code == 302
    created = hr.post("/hr/payroll", data={"period_day": "2025-06-10", "pay_date": "2025-06-20"})
    run_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    page = _text(hr.get(f"/hr/payroll/{run_id}"))
    assert "would be paid a net below zero" in page
    assert hr.post(f"/hr/payroll/{run_id}/post").status_code == 422
    with connected(hr_app):
        assert PayRun.get_by_id(run_id).status == "draft"
        assert EventRecord.select().where(EventRecord.name == "hr.payroll_journal_line").count() == 0


def test_state_tax_is_withheld_by_the_practices_state_unless_payroll_names_another(hr_app):
    from medoffice_hr import payroll

    with connected(hr_app):
        settings.set_many({"core.state": "pa", "hr.payroll_state": ""})
        assert payroll.payroll_state() == "PA"
        settings.set_many({"hr.payroll_state": "TX"})
        assert payroll.payroll_state() == "TX"


def test_the_registers_money_cells_read_as_format_cents():
    from medoffice_hr.views.payroll import _money_cells

    amounts = [0, 5, 99, 100, 99_999, 100_000, 123_456_789, -1, -99_999, -100_000, -123_456]
    assert _money_cells(amounts) == "".join(f'<td class="numeric">{format_cents(a)}</td>' for a in amounts)
