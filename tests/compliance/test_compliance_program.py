"""The HIPAA program: policies as core documents with acknowledgments and a yearly review deadline,
training by person, a risk assessment taken to a remediation task (a deadline for its owner) and
compared with the previous one, and business associates with their BAA and review date."""
from __future__ import annotations

import datetime as dt
import io
import re
import types

import pytest
from medoffice import PluginInfo, deadlines, documents, files, hookimpl
from medoffice.models import Role, StaffMember, User
from medoffice.db import db
from medoffice.testing import connected, count_queries, login, page_queries, practice_today

from medoffice_compliance import jobs, program
from medoffice_compliance.models import BusinessAssociate, RiskAssessment, RiskItem

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = practice_today()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _privacy_policy_for_the_office_manager():
    """A published privacy policy, acknowledged by the office manager role, effective 2026-02-28."""
    owner = User.select().order_by(User.id.desc()).first()
    audience = documents.Audience.of(roles=[Role.get(Role.name == "office_manager").id])
    policy = documents.create(program.POLICY_KIND, "Privacy policy", owner=owner.id, audience=audience, body="PHI.")
    documents.publish(policy, effective_on=dt.date(2026, 2, 28), summary="First.", requires_acknowledgment=True)
    return policy


def test_policies_are_core_documents_reviewed_yearly(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        policy = _privacy_policy_for_the_office_manager()
        assert jobs.sync_deadlines() == "0 credential(s) and 1 policy review(s) checked."
        review = deadlines.find("compliance", f"policy-review:{policy.id}")
        assert review.due == dt.date(2027, 2, 28) and review.kind == program.POLICY_REVIEW_KIND
    page = _text(manager.get("/compliance/program"))
    assert "Privacy policy" in page and "2027" in page


def test_training_shows_who_is_overdue(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able").id
        bob = StaffMember.create(first_name="Bob", last_name="Baker").id
        program.record_training(bob, "HIPAA basics", TODAY - dt.timedelta(days=400), by="t")
    assert manager.post("/compliance/program/training", data={"staff_id": str(ann), "course": "",
                                                              "completed_on": TODAY.isoformat()}).status_code == 422
    assert manager.post("/compliance/program/training", data={"staff_id": str(ann), "course": "HIPAA basics",
                                                              "completed_on": TODAY.isoformat()}).status_code == 302
    with connected(app):
        status = {row["staff_id"]: row for row in program.training_status(TODAY)}
    assert not status[ann]["overdue"] and status[ann]["due"] == TODAY + dt.timedelta(days=365)
    assert status[bob]["overdue"]



def test_program_page_shows_training_policies_and_associates_in_a_fixed_number_of_queries(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        _privacy_policy_for_the_office_manager()
        ann = StaffMember.create(first_name="Ann", last_name="Able", credentials="RN").id
        StaffMember.create(first_name="Bob", last_name="Baker")
        program.record_training(ann, "HIPAA basics", dt.date(2026, 3, 2), by="t")
        BusinessAssociate.create(name="Shred-It", services="Shredding", signed_on=dt.date(2025, 1, 1))
    manager.get("/compliance/program")  # warms what is kept per process regardless of data (compiled queries)
    with connected(app):
        StaffMember.create(first_name="Cy", last_name="Cole")
    with count_queries() as before:  # the first view after a change of staff, as the one after more below
        page = _text(manager.get("/compliance/program"))
    assert "Privacy policy</a></td><td>1</td>" in page
    assert "<td>Baker, Bob</td><td>Never</td><td>Now</td><td><span class=\"chip chip-overdue\">Overdue</span></td>" in page
    assert f'<option value="{ann}">Able, Ann, RN</option>' in page and "1 on the register." in page
    with connected(app):
        for n in range(5):
            more = StaffMember.create(first_name=f"P{n}", last_name="Extra").id
            program.record_training(more, "HIPAA basics", TODAY, by="t")
        BusinessAssociate.create(name="Cloud backup", services="Backups", signed_on=dt.date(2025, 1, 1))
    with count_queries() as after:
        page = _text(manager.get("/compliance/program"))
    assert len(after) == len(before) and "2 on the register." in page and "Extra, P4" in page
    assert f'<option value="{more}">Extra, P4</option>' in page
    # the training table and the form's people are one read of the staff; the policies in force and their
    # acknowledgment counts two statements
    assert len([sql for sql in after if 'FROM "core_staff"' in sql]) == 1
    assert len([sql for sql in after if "core_document" in sql or "core_deadline" in sql]) == 2
    with count_queries() as unchanged:  # the policies and their counts are kept until documents, staff or users change
        manager.get("/compliance/program")
    assert not [sql for sql in unchanged if "core_document" in sql or "core_deadline" in sql]
    # who trained when, with the table's rows and the form's people, is kept until the log or the staff change
    assert not [sql for sql in unchanged if "core_staff" in sql or "compliance_training" in sql]


def _answer(client, assessment_id, item_id, **values):
    form = {f"q{item_id}-{k}": v for k, v in {"answer": "yes", "likelihood": "0", "impact": "0", "note": "",
                                               "remediation": "", "owner": "", "due_on": "", **values}.items()}
    return client.post(f"/compliance/program/assessments/{assessment_id}/items/{item_id}", data=form)


def test_a_risk_assessment_becomes_remediation_tasks_and_compares_with_last_year(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        owner_id = User.select().order_by(User.id.desc()).first().id
        last_year = program.start_assessment("SRA 2025", TODAY - dt.timedelta(days=365), by="t")
        old = RiskItem.get((RiskItem.assessment == last_year) & (RiskItem.question_key == "tec_encryption"))
        program.answer(old, answer_value="no", likelihood=3, impact=3, note="", remediation="", owner_user_id=None,
                       due_on=None)
    started = manager.post("/compliance/program/assessments", data={"title": "SRA 2026",
                                                                   "started_on": TODAY.isoformat()})
    assert started.status_code == 302
    with connected(app):
        assessment = RiskAssessment.get(RiskAssessment.title == "SRA 2026")
        items = {i.question_key: i.id for i in assessment.items}
    assert len(items) == len(program.QUESTIONS)
    unrated = _answer(manager, assessment.id, items["tec_encryption"], answer="partly")
    assert unrated.status_code == 422 and "likelihood" in _text(unrated)
    no_owner = _answer(manager, assessment.id, items["tec_encryption"], answer="partly", likelihood="2", impact="3",
                       remediation="Encrypt the laptops")
    assert no_owner.status_code == 422 and "owner and a due date" in _text(no_owner)
    due = (TODAY + dt.timedelta(days=30)).isoformat()
    saved = _answer(manager, assessment.id, items["tec_encryption"], answer="partly", likelihood="2", impact="3",
                    remediation="Encrypt the laptops", owner=str(owner_id), due_on=due)
    assert saved.status_code == 302
    with connected(app):
        task = deadlines.find("compliance", f"remediation:{items['tec_encryption']}")
    assert task.due.isoformat() == due and task.assignee_user_id == owner_id and "Encrypt the laptops" in task.title
    page = _text(manager.get(f"/compliance/program/assessments/{assessment.id}"))
    assert "6 high" in page and "no / 9" in page and "(better)" in page
    refused = manager.post(f"/compliance/program/assessments/{assessment.id}/complete")
    assert refused.status_code == 422 and "unanswered" in _text(refused)
    done = manager.post(f"/compliance/program/assessments/{assessment.id}/items/{items['tec_encryption']}/done",
                        data={"done_on": TODAY.isoformat(), "note": "BitLocker on all four laptops"})
    assert done.status_code == 302
    with connected(app):
        assert deadlines.find("compliance", f"remediation:{items['tec_encryption']}").state == "done"
        for item in RiskItem.select().where((RiskItem.assessment == assessment) & (RiskItem.answer == "")):
            program.answer(item, answer_value="yes", likelihood=0, impact=0, note="", remediation="",
                           owner_user_id=None, due_on=None)
    assert manager.post(f"/compliance/program/assessments/{assessment.id}/complete").status_code == 302
    with connected(app):
        assert RiskAssessment.get_by_id(assessment.id).completed_on == TODAY


def test_business_associates_keep_their_baa_and_review_date(app):
    manager = login(app.test_client(), "office_manager")
    form = {"name": "Shred-It", "services": "Paper destruction", "contact": "", "npi": "123", "signed_on": "2025-01-01",
            "review_on": "2027-01-01", "terminated_on": "", "return_destroy_confirmed_on": "",
            "baa": (io.BytesIO(PDF), "baa.pdf")}
    assert manager.post("/compliance/program/business-associates/new", data=form,
                        content_type="multipart/form-data").status_code == 422  # bad NPI
    saved = manager.post("/compliance/program/business-associates/new", data={**form, "npi": "",
                         "baa": (io.BytesIO(PDF), "baa.pdf")}, content_type="multipart/form-data")
    assert saved.status_code == 302
    with connected(app):
        associate = BusinessAssociate.get()
        assert files.list_for("compliance", "business_associate", associate.id)[0].name == "baa.pdf"
        assert deadlines.find("compliance", f"baa-review:{associate.id}").due == dt.date(2027, 1, 1)
    ended = manager.post(f"/compliance/program/business-associates/{associate.id}", data={
        **form, "npi": "", "terminated_on": "2026-06-30", "return_destroy_confirmed_on": "2026-07-15", "baa": ""})
    assert ended.status_code == 302
    with connected(app):
        assert deadlines.find("compliance", f"baa-review:{associate.id}").state == "superseded"
    assert "Shred-It" in _text(manager.get("/compliance/program/business-associates"))


def _training_plugin(completions):
    """A module keeping training records (as HR would) that answers compliance's hook."""
    module = types.ModuleType("trainingtest_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name="trainingtest", title="Training test")

    @hookimpl(optionalhook=True)
    def compliance_training_completions(since):
        return [row for row in completions() if row[2] >= since]

    module.compliance_training_completions = compliance_training_completions
    return module


def test_another_modules_training_records_count(make_app):
    found = {}
    app = make_app(plugins=["compliance"], extra=[_training_plugin(lambda: found.get("rows", []))])
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able").id
        bob = StaffMember.create(first_name="Bob", last_name="Baker").id
        program.record_training(bob, "HIPAA basics", TODAY - dt.timedelta(days=300), by="t")
        found["rows"] = [(ann, "HIPAA in HR", TODAY - dt.timedelta(days=20)),
                         (bob, "HIPAA in HR", TODAY - dt.timedelta(days=500))]  # too old to count
        status = {row["staff_id"]: row for row in program.training_status(TODAY)}
    assert status[ann]["latest"] == TODAY - dt.timedelta(days=20) and not status[ann]["overdue"]
    assert status[bob]["latest"] == TODAY - dt.timedelta(days=300)


def test_the_kept_new_assessment_form_carries_each_sessions_own_csrf_token(csrf_client_as):
    def token_of(client) -> str:
        page = client.get("/compliance/program").get_data(as_text=True)
        form = page[page.index("Start an assessment"):]
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    first, second = csrf_client_as("office_manager"), csrf_client_as("office_manager")
    tokens = token_of(first), token_of(second)
    assert tokens[0] != tokens[1]  # the form's HTML is kept, each session's token put in
    start = {"title": "2027 assessment", "started_on": "2026-01-05"}
    assert first.post("/compliance/program/assessments", data={**start, "csrf_token": tokens[1]}).status_code == 400
    assert second.post("/compliance/program/assessments", data={**start, "csrf_token": tokens[1]}).status_code == 302


def test_the_policy_rows_are_kept_until_any_writer_changes_the_documents(app):
    """The policies in force and their acknowledgment counts are read once and kept; a policy renamed by any writer
    (here plain SQL, as another process or a console would) or a new version published shows on the next view."""
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        policy = _privacy_policy_for_the_office_manager()
    assert "Privacy policy</a></td><td>1</td>" in _text(manager.get("/compliance/program"))
    kept_view = page_queries(manager, "/compliance/program")
    assert not [sql for sql in kept_view if "core_document" in sql or "core_deadline" in sql]
    with connected(app):
        db.execute_sql(f"UPDATE core_document SET title = 'Privacy rules' WHERE id = {db.param}", (policy.id,))
    assert "Privacy rules</a></td><td>1</td>" in _text(manager.get("/compliance/program"))
    with connected(app):
        documents.start_draft(policy)
        documents.save_draft(policy, title="Privacy rules", body="PHI, again.")
        documents.publish(policy, effective_on=dt.date(2026, 6, 1), summary="Second.", requires_acknowledgment=True)
    assert "Privacy rules</a></td><td>2</td>" in _text(manager.get("/compliance/program"))


def test_the_kept_training_form_carries_each_sessions_own_csrf_token_and_its_people(make_app):
    app = make_app(plugins=["compliance"], csrf=True)
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able", credentials="RN").id

    def form_of(client) -> str:
        page = client.get("/compliance/program").get_data(as_text=True)
        return page[page.index("<h3>Log training</h3>"):page.index('id="assessments"')]

    first, second = login(app.test_client(), "office_manager"), login(app.test_client(), "office_manager")
    forms = form_of(first), form_of(second)
    tokens = [re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1) for form in forms]
    assert tokens[0] != tokens[1] and forms[0].replace(tokens[0], "") == forms[1].replace(tokens[1], "")
    assert f'<option value="{ann}">Able, Ann, RN</option>' in forms[0] and 'value="HIPAA privacy and security"' in forms[0]
    logged = {"staff_id": str(ann), "course": "HIPAA basics", "completed_on": TODAY.isoformat()}
    assert first.post("/compliance/program/training", data={**logged, "csrf_token": tokens[1]}).status_code == 400
    refused = second.post("/compliance/program/training", data={**logged, "course": "", "csrf_token": tokens[1]})
    assert refused.status_code == 422 and "Name the course." in _text(refused)
    assert f'<option selected value="{ann}">Able, Ann, RN</option>' in _text(refused)  # the refused form, as sent
    assert second.post("/compliance/program/training", data={**logged, "csrf_token": tokens[1]}).status_code == 302
    assert "Log training" not in _text(login(app.test_client(), "auditor").get("/compliance/program"))


def _training_row(page: str, name: str) -> str:
    return re.search(rf"<tr><td>{name}</td>.*?</tr>", page).group(0)


def test_the_training_table_is_kept_until_any_writer_changes_the_log_the_staff_or_hrs_records(make_app):
    """Who trained when is read once and kept; a training logged by any writer (here plain SQL, as another
    process or a console would), in compliance's log or in HR's records (which HR names through
    ``compliance_training_versions``), or a change of staff shows on the very next view."""
    from medoffice_hr.models import Employment
    from medoffice_hr.training_models import Course

    app = make_app(plugins=["hr", "compliance"])
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able").id
        bob = StaffMember.create(first_name="Bob", last_name="Baker").id
        employment = Employment.create(staff=ann, hire_date=dt.date(2025, 1, 6)).id
        course = Course.create(name="HIPAA privacy and security", repeat_months=12).id
        program.record_training(bob, "HIPAA basics", TODAY - dt.timedelta(days=10), by="t")
    page = _text(manager.get("/compliance/program"))
    assert "Overdue" in _training_row(page, "Able, Ann") and "Overdue" not in _training_row(page, "Baker, Bob")
    kept_view = page_queries(manager, "/compliance/program")
    assert not [sql for sql in kept_view if "core_staff" in sql or "compliance_training" in sql or "hr_" in sql]
    with connected(app):  # Bob's training deleted by a console
        db.execute_sql(f"DELETE FROM compliance_training WHERE staff_id = {db.param}", (bob,))
    assert "Never" in _training_row(_text(manager.get("/compliance/program")), "Baker, Bob")
    with connected(app):  # and logged again by another process
        db.execute_sql("INSERT INTO compliance_training (staff_id, course, completed_on, recorded_by, created_at) "
                       f"VALUES ({db.param}, 'HIPAA basics', {db.param}, 'console', {db.param})",
                       (bob, TODAY - dt.timedelta(days=3), dt.datetime.now(dt.timezone.utc)))
    assert "Overdue" not in _training_row(_text(manager.get("/compliance/program")), "Baker, Bob")
    with connected(app):  # Ann's HIPAA course completed in HR's records
        db.execute_sql("INSERT INTO hr_course_completion (employment_id, course_id, completed_on, recorded_by, "
                       f"created_at) VALUES ({db.param}, {db.param}, {db.param}, 'console', {db.param})",
                       (employment, course, TODAY - dt.timedelta(days=5), dt.datetime.now(dt.timezone.utc)))
    page = _text(manager.get("/compliance/program"))
    assert "Overdue" not in _training_row(page, "Able, Ann")
    with connected(app):  # a name changed in the staff list
        db.execute_sql(f"UPDATE core_staff SET first_name = 'Anna' WHERE id = {db.param}", (ann,))
    page = _text(manager.get("/compliance/program"))
    assert "Able, Anna" in page and f'<option value="{ann}">Able, Anna</option>' in page
    assert "Overdue" not in _training_row(page, "Able, Anna")


def test_training_another_module_answers_without_naming_its_versions_is_read_on_every_view(make_app):
    found = {"rows": []}
    app = make_app(plugins=["compliance"], extra=[_training_plugin(lambda: found["rows"])])
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able").id
    assert "Overdue" in _training_row(_text(manager.get("/compliance/program")), "Able, Ann")
    found["rows"] = [(ann, "HIPAA elsewhere", TODAY - dt.timedelta(days=20))]  # nothing compliance can see move
    assert "Overdue" not in _training_row(_text(manager.get("/compliance/program")), "Able, Ann")

