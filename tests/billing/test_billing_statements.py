"""Statements: who gets one (minimum, cycle, holds for pending insurance, plans, manual holds and
collections), one PDF per patient and never two patients in a document, the run's counts, the
pages, the background run, the zip, and the command line."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
import zipfile

import pytest
from accounts_setup import adjudicate, days_ago, insured_visit, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.models import AuditEvent
from medoffice.testing import login
from remit_setup import cli_app, run_cli

from medoffice_billing import aging, collections, payments, plans, statements
from medoffice_billing.models import Claim, Statement, StatementRun


def pdf_text(data: bytes) -> str:
    """The text of a PDF (poppler's pdftotext)."""
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing")


def practice_with_every_case():
    """Patients in every situation a run sorts out; returns them by name."""
    records = practice()
    due = records["patient"]
    self_pay_visit(records, days_ago(40))  # owes $120.00 for 40 days: a statement at the first stage
    people = {"due": due}
    for name in ("small", "pending", "plan", "held", "placed", "recent"):
        people[name] = new_patient(last=name.capitalize(), first="Pat")
        self_pay_visit(records, days_ago(50), codes=("36415",) if name == "small" else ("99213",),
                       patient=people[name])
    payments.post_payment(people["small"].id, 1200, "cash")  # $3.00 left, below the $5.00 minimum
    insured_visit(records, days_ago(5), patient=people["pending"])  # a claim still waits on the payer
    plans.create_plan(people["plan"].id, 12000, 4000, "monthly", settings.today())
    statements.set_hold(people["held"].id, "Disputes the bill")
    collections.place(people["placed"].id, "Acme Recovery")
    statements.patient_statement(people["recent"].id, as_of=days_ago(10))  # statemented inside the cycle
    return records, people


def test_a_run_sorts_patients_out_and_sends_one_pdf_per_patient(app, tmp_path):
    with database(app):
        records, people = practice_with_every_case()
        run = statements.run_statements(out_dir=tmp_path / "out")
        assert (run.considered, run.statements, run.total_cents) == (7, 1, 12000)
        assert (run.below_minimum, run.not_due, run.held_insurance, run.held_plan, run.held_manual,
                run.held_collections) == (1, 1, 1, 1, 1, 1)
        sent = list(Statement.select().where(Statement.run == run.id))
        assert [(s.patient_id, s.amount_cents, s.bucket, s.dunning_stage) for s in sent] == [
            (people["due"].id, 12000, "31-60", "Reminder")]
        content = statements.content_of(sent[0])
        assert content["patient"]["account_number"] == people["due"].account_number
        assert [(i["code"], i["owed"]) for i in content["items"]] == [("99213", 12000)]
        assert content["buckets"]["b1"] == 12000 and "30 days" in content["message"]
        audited = AuditEvent.select().where((AuditEvent.action == "billing.statement.create")
                                            & (AuditEvent.patient_id == people["due"].id)).count()
        assert audited == 1
        # A second run the same day sends nothing new: the patient is inside the cycle.
        again = statements.run_statements(out_dir=tmp_path / "again")
        assert (again.statements, again.not_due) == (0, 2)
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == [statements.file_name(sent[0], content)]
    assert files[0].read_bytes().startswith(b"%PDF")
    assert people["due"].account_number in files[0].name


@needs_pdftotext
def test_each_document_names_only_its_own_patient(app, tmp_path):
    with database(app):
        records = practice()
        others = [new_patient(last=f"Zeta{n}", first=f"Quinn{n}") for n in range(3)]
        for person in [records["patient"], *others]:
            self_pay_visit(records, days_ago(20), patient=person)
        run = statements.run_statements(out_dir=tmp_path)
        assert run.statements == 4
        names = {s.patient_id: statements.content_of(s)["patient"]["name"]
                 for s in Statement.select().where(Statement.run == run.id)}
        zipped = io.BytesIO()
        assert statements.zip_run(run, zipped) == 4
    everyone = set(names.values())
    with zipfile.ZipFile(zipped) as archive:
        documents = [archive.read(name) for name in archive.namelist()]
    assert len(documents) == 4
    seen = set()
    for data in documents:
        text = pdf_text(data)
        present = {name for name in everyone if name in text}
        assert len(present) == 1, present  # never two patients in one document
        seen |= present
    assert seen == everyone


def test_insurance_pending_never_makes_a_patient_past_due(app, tmp_path):
    """openemr#7958: while the payer decides, the patient gets no statement and the wait does not count
    against them; once the payer moves the copay over, it is billed as new (0-30 days, no dunning)."""
    with database(app):
        records = practice()
        pid = records["patient"].id
        claim = insured_visit(records, days_ago(150))
        first = statements.run_statements(out_dir=tmp_path / "1")
        assert (first.statements, first.considered) == (0, 0)  # the patient owes nothing yet
        adjudicate(claim, paid=8000, contractual=2000, patient=2000, day=days_ago(3), status="accepted")
        held = statements.run_statements(out_dir=tmp_path / "2")
        assert (held.statements, held.held_insurance) == (0, 1)  # accepted, not decided: still pending
        assert statements.hold_reasons(pid, settings.today()) == ["Insurance still pending"]
        Claim.update(status="paid").where(Claim.id == claim.id).execute()
        sent = statements.run_statements(out_dir=tmp_path / "3")
        statement = Statement.get(Statement.run == sent.id)
        assert (statement.amount_cents, statement.bucket, statement.dunning_stage) == (2000, "0-30", "")


def test_single_statement_preview_hold_and_release_from_the_ledger(app):
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(95))
    biller = login(app.test_client(), "billing")
    preview = biller.get(f"/billing/patients/{pid}/statement/preview.pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    with database(app):
        assert Statement.select().count() == 0  # a preview records nothing
    hold = biller.post(f"/billing/patients/{pid}/statement-hold", data={"reason": ""})
    assert hold.status_code == 422 and "Say why" in hold.get_data(as_text=True)
    assert biller.post(f"/billing/patients/{pid}/statement-hold",
                       data={"reason": "Patient disputes the charge"}).status_code == 302
    with database(app):
        assert statements.hold_reasons(pid, settings.today()) == ["Held by hand"]
        assert statements.sort_patients(settings.today()).held["manual"] == 1
    ledger_page = biller.get(f"/billing/patients/{pid}/ledger").get_data(as_text=True)
    assert "Held: held by hand" in ledger_page and "Patient disputes the charge" in ledger_page
    sent = biller.post(f"/billing/patients/{pid}/statement")  # sent by hand whatever holds it
    assert sent.status_code == 200 and sent.mimetype == "application/pdf"
    assert biller.post(f"/billing/patients/{pid}/statement-hold/release").status_code == 302
    with database(app):
        statement = Statement.get(Statement.patient_id == pid)
        assert (statement.amount_cents, statement.bucket, statement.dunning_stage) == (12000, "91-120", "Final notice")
        assert statement.run.trigger == "patient"
        assert statements.hold_reasons(pid, settings.today()) == []
        actions = {e.action for e in AuditEvent.select().where(AuditEvent.patient_id == pid)}
    assert {"billing.statement.preview", "billing.statement.hold", "billing.statement.release",
            "billing.statement.create", "billing.statement.pdf"} <= actions
    assert login(app.test_client(), "front_desk").post(f"/billing/patients/{pid}/statement").status_code == 403


def test_running_statements_from_the_page(app):
    with database(app):
        records = practice()
        self_pay_visit(records, days_ago(35))
        aging.refresh_patient_aging(settings.today())
    biller = login(app.test_client(), "billing")
    page = biller.get("/billing/statements", follow_redirects=True)
    assert page.status_code == 200 and "Run statements now" in page.get_data(as_text=True)
    preview = biller.get("/billing/statements/preview").get_data(as_text=True)
    assert "$120.00" in preview
    started = biller.post("/billing/statements/run")
    assert started.status_code == 302 and "task=" in started.headers["Location"]
    deadline = time.monotonic() + 60
    while True:
        with database(app):
            run = StatementRun.select().where(StatementRun.finished_at.is_null(False)).first()
        if run is not None or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert run is not None and run.statements == 1 and run.trigger == "web"
    assert run.username.startswith("user")
    listing = biller.get(f"/billing/statements/runs/{run.id}").get_data(as_text=True)
    assert records["patient"].account_number in listing and "$120.00" in listing
    download = biller.get(f"/billing/statements/runs/{run.id}.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert len(archive.namelist()) == 1 and archive.read(archive.namelist()[0]).startswith(b"%PDF")


def test_statements_run_command(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    with database(app):
        records = practice()
        self_pay_visit(records, days_ago(65))
    out = tmp_path / "pdfs"
    result = run_cli(app, "billing", "statements", "run", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert (counts["statements"], counts["total_cents"], counts["folder"]) == (1, 12000, str(out))
    assert len(list(out.glob("*.pdf"))) == 1
    again = run_cli(app, "billing", "statements", "run", "--out", str(tmp_path / "second"))
    assert again.exit_code == 0 and "Run 2: 0 statements" in again.output and "1 not due yet" in again.output


def test_the_preview_counts_what_a_run_then_sends_and_no_server_path_is_shown(app):
    """Issue 17 item 17: the preview read the nightly stored aging and said 0 while the run sent 1 (a
    charge posted since the refresh); the run page printed the server's folder."""
    with database(app):
        records = practice()
        aging.refresh_patient_aging(settings.today())  # the nightly refresh, before today's charges
        self_pay_visit(records, days_ago(35))
        held = new_patient(last="Planned", first="Pat")
        self_pay_visit(records, days_ago(35), patient=held)
        plans.create_plan(held.id, 12000, 4000, "monthly", settings.today())
    biller = login(app.test_client(), "billing")
    preview = biller.get("/billing/statements/preview").get_data(as_text=True)
    assert "<dt>Statements</dt><dd>1 <small>($120.00)</small>" in preview
    assert "<dt>Held: on a payment plan</dt><dd>1</dd>" in preview
    with database(app):
        run = statements.run_statements(trigger="web")
        assert (run.statements, run.total_cents, run.held_plan) == (1, 12000, 1)
        folder = run.output
    assert folder.startswith(app.instance_path)
    page = biller.get(f"/billing/statements/runs/{run.id}").get_data(as_text=True)
    assert app.instance_path not in page
    assert f"-run{run.id}" not in page.replace(f"/runs/{run.id}.zip", "")  # the folder's name either
