"""Versioned documents with acknowledgments (issue 10, section 3): drafts and immutable published
versions, the diff, audience resolution, electronic signatures with the password re-entered (counted
toward the lockout), re-acknowledgment, paper signatures with their scan, reminders through
deadlines, Today, the auditor's report and CSV, the print view and the PDF."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
import types

import pytest

from medoffice import PluginInfo, documents, files, hookimpl
from medoffice.auth.accounts import create_user
from medoffice.contributions import Permission
from medoffice.db import transaction
from medoffice.deadlines.models import Deadline
from medoffice.documents import diff, reminders
from medoffice.documents.hooks import doctor_checks
from medoffice.documents.models import Acknowledgment, Document, DocumentVersion
from medoffice.documents.status import people, pending_documents, today_summary
from medoffice.models import AuditEvent, Location, LoginAttempt, Role, StaffMember, User
from medoffice.settings import set_many, today as practice_today
from medoffice.tasks import app_thread_context
from medoffice.testing import TEST_PASSWORD

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing")

POLICY_TEXT = "# Clean desk\n\nLock your screen when you step away.\n\nShred printed pages with patient names.\n"
PDF_SCAN = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

MANUAL = documents.DocumentKind("dutytest.manual", "Employee manual", view_permission="dutytest.manual.view",
                                manage_permission="dutytest.manual.manage")


def duty_plugin():
    """A plugin declaring its own kind of document with its own permissions, as HR would."""
    module = types.ModuleType("dutytest_documents")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name="dutytest", title="Duty test")

    @hookimpl
    def medoffice_document_kinds():
        return [MANUAL]

    @hookimpl
    def medoffice_permissions():
        return [Permission("dutytest.manual.view", "Read the manual", default_roles=("admin", "hr")),
                Permission("dutytest.manual.manage", "Keep the manual", default_roles=("admin", "hr"))]

    module.medoffice_document_kinds = medoffice_document_kinds
    module.medoffice_permissions = medoffice_permissions
    return module


@pytest.fixture
def doc_app(make_app):
    return make_app(plugins=[], extra=[duty_plugin()])


def person(app, username, roles=("front_desk",), **staff):
    """A user (with a staff record when ``staff`` gives its fields); returns their id."""
    with app_thread_context(app):
        user = create_user(username, username.title(), TEST_PASSWORD, list(roles), email=f"{username}@office.example")
        if staff:
            member = StaffMember.create(first_name=username.title(), last_name="Staff", **staff)
            User.update(staff=member.id).where(User.id == user.id).execute()
        return user.id


def client_for(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": TEST_PASSWORD}).status_code == 302
    return client


def role_id(name):
    return Role.get(Role.name == name).id


def policy(owner_id, audience=None, body=POLICY_TEXT, title="Clean desk policy", kind="core.policy", publish=True,
           requires=True, effective=None):
    """A document with its first version, published unless told otherwise."""
    document = documents.create(kind, title, owner=owner_id, body=body,
                                audience=audience or documents.Audience.of(roles=[role_id("front_desk")]))
    if publish:
        documents.publish(document, effective_on=effective or practice_today(), summary="First version.",
                          requires_acknowledgment=requires)
    return Document.get_by_id(document.id)


def new_version(document, body, *, requires, summary="Reworded."):
    documents.start_draft(document)
    documents.save_draft(document, title=document.title, body=body)
    documents.publish(document, effective_on=practice_today(), summary=summary, requires_acknowledgment=requires)
    return Document.get_by_id(document.id)


def status_of(document, user_id, day=None):
    return next(s.status for s in people(document, day or practice_today()) if s.user.id == user_id)


def sign(client, document_id, password=TEST_PASSWORD, version=None, digest=None):
    """Post the acknowledgment form as the read page would."""
    current = DocumentVersion.get((DocumentVersion.document == document_id) & (DocumentVersion.state == "published"))
    return client.post(f"/documents/{document_id}/acknowledge", data={
        "version": version or current.number, "text_sha256": digest or current.text_sha256, "confirm": "y",
        "password": password})


# --- Pure parts: kinds and the diff --------------------------------------------------------------------

def test_a_document_kind_must_be_named_after_its_plugin_and_name_its_permissions():
    for bad in ({"name": "manual"}, {"name": "Dutytest.Manual"}, {"title": " "}, {"view_permission": "view"}):
        values = {"name": "dutytest.bad", "title": "Bad", "view_permission": "a.b", "manage_permission": "a.c", **bad}
        with pytest.raises(ValueError):
            documents.DocumentKind(**values)
    assert MANUAL.plugin == "dutytest" and MANUAL.requires_acknowledgment


def test_the_diff_pairs_changed_lines_marks_changed_words_and_folds_unchanged_runs():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    rows = diff.rows(old, new)
    kinds = [r.kind for r in rows]
    assert kinds.count("replace") == 1 and kinds.count("insert") == 1 and "delete" not in kinds
    changed = next(r for r in rows if r.kind == "replace")
    assert (changed.left_number, changed.right_number) == (10, 10)
    assert [text for text, marked in changed.left if marked] == ["10"]
    assert [text for text, marked in changed.right if marked] == ["ten"]
    folded = [r for r in rows if r.kind == "skip"]
    assert [r.skipped for r in folded] == [6, 4]  # lines 1-6 before, 14-17 between the changes (3 kept around)
    assert diff.rows(old, old) == []
    deleted = diff.rows("a\nb\nc", "a\nc")
    assert [(r.kind, r.left_number, r.right_number) for r in deleted] == [
        ("equal", 1, 1), ("delete", 2, None), ("equal", 3, 2)]


# --- Drafts, publishing, immutability ---------------------------------------------------------------------

def test_publishing_fixes_a_version_for_good_and_drafts_stay_editable(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        document = policy(owner, publish=False)
        documents.save_draft(document, title="Clean desk policy", body=POLICY_TEXT + "\nA second save.\n")
        draft = documents.draft_of(document)
        assert draft.body.endswith("A second save.") and draft.state == "draft"
        saves = AuditEvent.select().where(AuditEvent.action == "document.draft.save")
        assert saves.count() == 1 and "A second save" not in saves.get().detail  # hashes, never the text

        with pytest.raises(documents.DocumentError, match="summary"):
            documents.publish(document, effective_on=practice_today(), summary="  ", requires_acknowledgment=True)
        version = documents.publish(document, effective_on=practice_today(), summary="First version.",
                                    requires_acknowledgment=True)
        assert version.state == "published" and version.number == 1
        assert version.text_sha256 == hashlib.sha256(version.body.encode()).hexdigest()
        published = json.loads(AuditEvent.get(AuditEvent.action == "document.publish").detail)
        assert published["text_sha256"] == version.text_sha256 and published["version"] == 1

        with pytest.raises(documents.DocumentError, match="never changed"):
            documents.save_draft(document, title="Changed", body="Changed text")
        with pytest.raises(documents.DocumentError, match="no draft"):
            documents.publish(document, effective_on=practice_today(), summary="Again", requires_acknowledgment=True)
        with pytest.raises(documents.DocumentError, match="never deleted"):
            documents.delete(document)
        assert DocumentVersion.get_by_id(version.id).body == version.body

        second = documents.start_draft(document)  # ``document`` was read before version 1 was published
        assert (second.number, second.body, second.state) == (2, version.body, "draft")
        with pytest.raises(documents.DocumentError, match="already has a draft"):
            documents.start_draft(document)
        documents.discard_draft(document)
        assert documents.draft_of(document) is None and DocumentVersion.select().count() == 1
        documents.start_draft(document)
        documents.publish(document, effective_on=practice_today(), summary="Typo.", requires_acknowledgment=False)
        assert (Document.get_by_id(document.id).current_number, Document.get_by_id(document.id).ack_from) == (2, 1)

        # the published documents of one kind: not drafts never published, nor other kinds
        policy(owner, title="A draft only", publish=False)
        assert [d.title for d in documents.published("core.policy")] == ["Clean desk policy"]
        assert documents.published("core.other_kind") == []


def test_the_pages_edit_a_draft_publish_it_and_show_the_diff_escaped(doc_app):
    person(doc_app, "manager", ("office_manager",))
    manager = client_for(doc_app, "manager")
    with app_thread_context(doc_app):
        front_desk = role_id("front_desk")
    response = manager.post("/documents/new", data={"kind": "core.policy", "title": "Phones", "owner": 99999,
                                                    "roles": [front_desk]})
    assert response.status_code == 422  # no such owner
    with app_thread_context(doc_app):
        owner = User.get(User.username == "manager").id
    response = manager.post("/documents/new", data={"kind": "core.policy", "title": "Phones", "owner": owner,
                                                    "roles": [front_desk]})
    assert response.status_code == 302
    document_id = int(response.headers["Location"].split("/")[2])
    assert manager.post(f"/documents/{document_id}/draft", data={"title": "Phones",
                                                                 "body": "Answer by the third ring.\r\n"}).status_code == 302
    page = manager.get(f"/documents/{document_id}/draft").get_data(as_text=True)
    assert "markdown-preview" in page and "Answer by the third ring." in page
    assert manager.post(f"/documents/{document_id}/publish", data={
        "effective_on": practice_today().isoformat(), "summary": "First version.",
        "requires_acknowledgment": "y"}).status_code == 302
    assert manager.post(f"/documents/{document_id}/draft", data={"title": "Phones", "body": "x"}).status_code == 404

    assert manager.post(f"/documents/{document_id}/draft/start").status_code == 302
    hostile = "Answer by the <script>alert(1)</script> second ring.\nNever give results by phone."
    assert manager.post(f"/documents/{document_id}/draft", data={"title": "Phones", "body": hostile}).status_code == 302
    preview = manager.get(f"/documents/{document_id}/publish").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview and "<script>alert" not in preview
    assert manager.post(f"/documents/{document_id}/publish", data={
        "effective_on": practice_today().isoformat(), "summary": "Second ring; no results by phone."}).status_code == 302
    page = manager.get(f"/documents/{document_id}/diff?from=1&to=2").get_data(as_text=True)
    assert 'class="diff-replace"' in page and 'class="diff-insert"' in page
    assert '<mark class="diff-change">third</mark>' in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert manager.get(f"/documents/{document_id}/diff?from=1&to=9").status_code == 404
    assert manager.get(f"/documents/{document_id}/diff?from=x").status_code == 400
    with app_thread_context(doc_app):
        versions = [(v.number, v.state, v.requires_acknowledgment) for v in
                    DocumentVersion.select().order_by(DocumentVersion.number)]
    assert versions == [(1, "retired", True), (2, "published", False)]


# --- Audience ------------------------------------------------------------------------------------------------

def test_the_audience_resolves_roles_locations_named_staff_and_users_to_active_users(doc_app):
    with app_thread_context(doc_app):
        main = Location.create(name="Main Street")
        annex = Location.create(name="Annex")
        desk = person(doc_app, "desk", ("front_desk",))
        at_main = person(doc_app, "atmain", ("billing",), location=main.id)
        at_annex = person(doc_app, "atannex", ("billing",), location=annex.id)
        named = person(doc_app, "named", ("billing",))
        staff_login = person(doc_app, "stafflogin", ("billing",), location=annex.id)
        gone = person(doc_app, "gone", ("front_desk",))
        User.update(active=False).where(User.id == gone).execute()
        no_login = StaffMember.create(first_name="Nola", last_name="Nologin")
        both = person(doc_app, "both", ("front_desk",), location=main.id)
        owner = person(doc_app, "owner", ("office_manager",))
        member = StaffMember.get(StaffMember.id == User.get_by_id(staff_login).staff_id)
        audience = documents.Audience.of(roles=[role_id("front_desk")], locations=[main.id],
                                         staff=[member.id, no_login.id], users=[named])
        document = policy(owner, audience)
        members = sorted(u.id for u in documents.members(document.id))
        assert members == sorted([desk, at_main, named, staff_login, both])
        assert at_annex not in members and gone not in members
        assert [d.id for d in pending_documents(both)] == [document.id]
        assert pending_documents(at_annex) == []
        # Each way of being addressed (role, location, named staff, named user) reaches the person's own list.
        for user_id in (desk, at_main, named, staff_login):
            assert [d.id for d in pending_documents(user_id)] == [document.id]
        # The location reaches only staff still active there.
        StaffMember.update(active=False).where(StaffMember.id == User.get_by_id(at_main).staff_id).execute()
        assert pending_documents(at_main) == []

        with pytest.raises(documents.DocumentError, match="does not exist"):
            documents.set_details(document, owner=owner, audience=documents.Audience.of(roles=[99999]))
        documents.set_details(document, owner=owner, audience=documents.Audience.of(users=[named]))
        assert [u.id for u in documents.members(document.id)] == [named]
        open_keys = [d.key for d in Deadline.select().where(Deadline.state == "open")]
        assert open_keys == [reminders.key_for(document.id, 1, named)]  # the others' reminders were superseded


# --- Electronic signatures -------------------------------------------------------------------------------------

def test_a_wrong_password_signs_nothing_and_counts_toward_the_lockout(doc_app):
    with app_thread_context(doc_app):
        set_many({"core.lockout_threshold": 3})
        owner = person(doc_app, "owner", ("office_manager",))
        reader = person(doc_app, "reader", ("front_desk",))
        document = policy(owner)
    client = client_for(doc_app, "reader")
    page = client.get(f"/documents/{document.id}/read").get_data(as_text=True)
    assert "Lock your screen when you step away." in page and "Sign and acknowledge" in page
    for attempt in range(2):
        response = sign(client, document.id, password="not-my-password")
        assert response.status_code == 422
        assert "not your password" in response.get_data(as_text=True)
    with app_thread_context(doc_app):
        assert Acknowledgment.select().count() == 0
        failures = LoginAttempt.select().where((LoginAttempt.username == "reader") & (LoginAttempt.success == False))  # noqa: E712
        assert failures.count() == 2
        assert "document.acknowledge" in AuditEvent.select().where(AuditEvent.action == "auth.login_failed").get().detail
    response = sign(client, document.id, password="still-wrong")
    assert response.status_code == 422 and "locked" in response.get_data(as_text=True)
    response = sign(client, document.id)  # the right password, but the user name is locked now
    assert response.status_code == 422 and "locked" in response.get_data(as_text=True)
    with app_thread_context(doc_app):
        assert Acknowledgment.select().count() == 0
        assert User.get_by_id(reader).locked_until is not None
    # Leaving the statement unticked or the password empty is refused before any check.
    assert client.post(f"/documents/{document.id}/acknowledge", data={"version": 1, "text_sha256": "a" * 64,
                                                                      "password": "x"}).status_code == 422


def test_the_right_password_records_who_when_which_version_the_hash_and_the_address(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        reader = person(doc_app, "reader", ("front_desk",))
        outsider = person(doc_app, "outsider", ("billing",))
        document = policy(owner)
        version = documents.current_of(document)
        deadline = Deadline.get(Deadline.key == reminders.key_for(document.id, 1, reader))
        assert deadline.state == "open" and deadline.assignee_user_id == reader and deadline.owner == "core"
        assert deadline.due == practice_today() + dt.timedelta(days=14)
    client = client_for(doc_app, "reader")
    assert sign(client, document.id, digest="0" * 64).status_code == 409  # not the text on the page
    response = sign(client, document.id)
    assert response.status_code == 302
    assert "You acknowledged version 1" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app_thread_context(doc_app):
        ack = Acknowledgment.get()
        assert (ack.user_id, ack.version_id, ack.method) == (reader, version.id, "electronic")
        assert ack.text_sha256 == version.text_sha256 == hashlib.sha256(POLICY_TEXT.strip().encode()).hexdigest()
        assert ack.address == "127.0.0.1" and ack.at.tzinfo is not None and ack.signed_on == practice_today()
        entry = AuditEvent.get(AuditEvent.action == "document.acknowledge")
        assert entry.username == "reader" and json.loads(entry.detail)["text_sha256"] == version.text_sha256
        assert Deadline.get_by_id(deadline.id).state == "done"
        assert status_of(document, reader) == "acknowledged"
    assert sign(client, document.id).status_code == 409  # already signed
    stranger = client_for(doc_app, "outsider")
    assert stranger.get(f"/documents/{document.id}/read").status_code == 200  # office policies are open to staff
    assert sign(stranger, document.id).status_code == 409  # but not addressed to them: nothing to sign
    with app_thread_context(doc_app):
        assert Acknowledgment.select().where(Acknowledgment.user == outsider).count() == 0


def test_a_version_published_while_reading_is_never_signed_unseen(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        person(doc_app, "reader", ("front_desk",))
        document = policy(owner)
        first = documents.current_of(document)
    client = client_for(doc_app, "reader")
    client.get(f"/documents/{document.id}/read")
    with app_thread_context(doc_app):
        new_version(document, POLICY_TEXT + "\nNew rule.\n", requires=True)
    response = sign(client, document.id, version=1, digest=first.text_sha256)
    assert response.status_code == 409 and "no longer the one in force" in response.get_data(as_text=True)
    with app_thread_context(doc_app):
        assert Acknowledgment.select().count() == 0


# --- New versions: asking again or not -------------------------------------------------------------------------

def test_a_new_version_asking_again_resets_everyone_and_one_that_does_not_keeps_them(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        signed = person(doc_app, "signed", ("front_desk",))
        late = person(doc_app, "late", ("front_desk",))
        document = policy(owner)
        assert documents.acknowledge(document, signed, TEST_PASSWORD, version_number=1,
                                     text_sha256=documents.current_of(document).text_sha256, address="10.0.0.5")
        late_due = Deadline.get(Deadline.key == reminders.key_for(document.id, 1, late)).due

        # A correction that asks nobody again: the signature on version 1 still counts.
        document = new_version(document, POLICY_TEXT + "\nTypo fixed.\n", requires=False)
        assert (document.current_number, document.ack_from) == (2, 1)
        assert status_of(document, signed) == "acknowledged" and status_of(document, late) == "pending"
        assert Deadline.get(Deadline.key == reminders.key_for(document.id, 1, late)).state == "superseded"
        carried = Deadline.get(Deadline.key == reminders.key_for(document.id, 2, late))
        assert carried.state == "open" and carried.due == late_due
        assert not Deadline.select().where(Deadline.assignee_user == signed, Deadline.state == "open").exists()
        assert [d.id for d in pending_documents(signed)] == []

        # A real change asks everyone again.
        document = new_version(document, POLICY_TEXT + "\nA new rule everyone must know.\n", requires=True)
        assert (document.current_number, document.ack_from) == (3, 3)
        assert status_of(document, signed) == "pending" and status_of(document, late) == "pending"
        assert [d.id for d in pending_documents(signed)] == [document.id]
        open_keys = sorted(d.key for d in Deadline.select().where(Deadline.state == "open"))
        assert open_keys == sorted([reminders.key_for(document.id, 3, signed), reminders.key_for(document.id, 3, late)])
        # Overdue once the grace period has passed.
        later = practice_today() + dt.timedelta(days=15)
        assert status_of(document, late, later) == "overdue"
        assert today_summary(late, later)[:2] == (1, 1)


def test_retiring_a_document_supersedes_its_reminders_and_empties_today(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        reader = person(doc_app, "reader", ("front_desk",))
        document = policy(owner)
    client = client_for(doc_app, "reader")
    today = client.get("/today").get_data(as_text=True)
    assert "Documents to read and acknowledge" in today
    assert client.get("/documents/mine").get_data(as_text=True).count("Read and acknowledge") >= 1
    with app_thread_context(doc_app):
        with pytest.raises(documents.DocumentError, match="reason"):
            documents.retire(document, reason=" ")
        documents.retire(document, reason="Replaced by the privacy manual.")
        assert Deadline.get(Deadline.assignee_user == reader).state == "superseded"
        assert today_summary(reader, practice_today()) == (0, 0, None)
    assert "Documents to read and acknowledge" not in client.get("/today").get_data(as_text=True)


# --- Paper signatures ------------------------------------------------------------------------------------------

def test_a_paper_signature_is_recorded_with_its_scan_through_core_files(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "manager", ("office_manager",))
        reader = person(doc_app, "reader", ("front_desk",))
        document = policy(owner)
    manager = client_for(doc_app, "manager")
    form = {"person": reader, "version": 1, "signed_on": practice_today().isoformat(), "note": "Binder 3, HR office"}
    assert manager.get(f"/documents/{document.id}/paper?person={reader}").status_code == 200
    response = manager.post(f"/documents/{document.id}/paper", data=form, content_type="multipart/form-data")
    assert response.status_code == 422 and "Attach the scanned page" in response.get_data(as_text=True)
    tomorrow = (practice_today() + dt.timedelta(days=1)).isoformat()
    response = manager.post(f"/documents/{document.id}/paper", content_type="multipart/form-data",
                            data={**form, "signed_on": tomorrow, "scan": (io.BytesIO(PDF_SCAN), "scan.pdf")})
    assert response.status_code == 422 and "signed on" in response.get_data(as_text=True)
    response = manager.post(f"/documents/{document.id}/paper", content_type="multipart/form-data",
                            data={**form, "scan": (io.BytesIO(b"plain text, not a scan"), "scan.pdf")})
    assert response.status_code == 422 and "Nothing was recorded" in response.get_data(as_text=True)
    with app_thread_context(doc_app):
        assert Acknowledgment.select().count() == 0
    response = manager.post(f"/documents/{document.id}/paper", content_type="multipart/form-data",
                            data={**form, "scan": (io.BytesIO(PDF_SCAN), "signed page.pdf")})
    assert response.status_code == 302
    with app_thread_context(doc_app):
        ack = Acknowledgment.get()
        assert (ack.user_id, ack.method, ack.recorded_by_id, ack.note) == (reader, "paper", owner, "Binder 3, HR office")
        assert ack.text_sha256 == documents.current_of(document).text_sha256 and ack.address == ""
        scans = files.list_for("core", "document_acknowledgment", ack.id)
        assert [(f.name, f.kind) for f in scans] == [("signed page.pdf", "core.signed_page")]
        assert status_of(document, reader) == "acknowledged"
        assert Deadline.get(Deadline.assignee_user == reader).state == "done"
    status = manager.get(f"/documents/{document.id}/status").get_data(as_text=True)
    assert "paper signature" in status and "signed page.pdf" in status
    # Only those who manage the kind record paper signatures.
    assert client_for(doc_app, "reader").get(f"/documents/{document.id}/paper").status_code == 403


# --- Report, Today, print and PDF --------------------------------------------------------------------------------

def test_the_auditors_report_lists_every_signature_and_exports_csv(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "manager", ("office_manager",))
        reader = person(doc_app, "reader", ("front_desk",))
        document = policy(owner, title="=Clean desk")  # a formula-looking title stays text in the CSV
        documents.acknowledge(document, reader, TEST_PASSWORD, version_number=1,
                              text_sha256=documents.current_of(document).text_sha256, address="10.1.2.3")
        digest = documents.current_of(document).text_sha256
    auditor = client_for(doc_app, "manager")
    day = practice_today().isoformat()
    response = auditor.get(f"/reports/core.document_acknowledgments.csv?start={day}&end={day}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["Document", "Kind", "Version", "Effective"]
    assert rows[1][0] == "'=Clean desk" and rows[1][2] == "1" and rows[1][4] == "Reader"
    assert digest in rows[1] and "10.1.2.3" in rows[1] and "Electronic signature" in rows[1]
    with app_thread_context(doc_app):
        assert AuditEvent.select().where(AuditEvent.action.contains("export")).count() >= 1
    front_desk = client_for(doc_app, "reader")
    assert front_desk.get(f"/reports/core.document_acknowledgments.csv?start={day}&end={day}").status_code == 403


@needs_pdftotext
def test_the_pdf_and_the_print_view_carry_the_text_version_and_hash(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "manager", ("office_manager",))
        document = policy(owner)
        digest = documents.current_of(document).text_sha256
    client = client_for(doc_app, "manager")
    response = client.get(f"/documents/{document.id}/versions/1/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout.decode()
    assert "Clean desk policy" in text and "Lock your screen when you step away." in text
    assert "Version 1" in text and digest[:32] in text.replace("\n", "")
    page = client.get(f"/documents/{document.id}/versions/1/print").get_data(as_text=True)
    assert "css/document.css" in page and "Shred printed pages with patient names." in page


# --- Access, plugin kinds, integrity ----------------------------------------------------------------------------

def test_a_plugins_kind_is_seen_by_its_permissions_and_its_audience_only(doc_app):
    with app_thread_context(doc_app):
        hr = person(doc_app, "hrperson", ("hr",))
        reader = person(doc_app, "reader", ("front_desk",))
        person(doc_app, "other", ("billing",))
        manual = policy(hr, documents.Audience.of(users=[reader]), kind="dutytest.manual", title="Employee manual")
        draft_only = policy(hr, kind="dutytest.manual", title="Manual draft", publish=False)
        with pytest.raises(documents.DocumentError, match="kind"):
            documents.create("dutytest.unknown", "X", owner=hr)
    other = client_for(doc_app, "other")
    assert other.get(f"/documents/{manual.id}").status_code == 404
    assert other.get(f"/documents/{manual.id}/versions/1/pdf").status_code == 404
    assert "Employee manual" not in other.get("/documents").get_data(as_text=True)
    reading = client_for(doc_app, "reader")
    assert reading.get(f"/documents/{manual.id}/read").status_code == 200
    assert reading.get(f"/documents/{draft_only.id}").status_code == 404  # drafts only to those who manage them
    assert reading.post(f"/documents/{manual.id}/draft/start").status_code == 403
    assert reading.get("/documents/new").status_code == 403
    keeper = client_for(doc_app, "hrperson")
    assert keeper.get(f"/documents/{draft_only.id}").status_code == 200
    assert "Employee manual" in keeper.get("/documents/new").get_data(as_text=True)
    assert client_for(doc_app, "other").get("/documents/new").status_code == 403


def test_the_list_marks_what_is_addressed_to_the_reader_and_what_they_have_to_acknowledge(doc_app):
    """/documents reads its rows and both marks in one query, whatever the number of documents."""
    from medoffice.testing import page_queries, reads_of, write_sql

    with app_thread_context(doc_app):
        hr = person(doc_app, "hrperson", ("hr",))
        reader = person(doc_app, "reader", ("front_desk",))
        manual = policy(hr, documents.Audience.of(users=[reader]), kind="dutytest.manual", title="Employee manual")
        policy(hr, documents.Audience.of(users=[reader]), kind="dutytest.manual", title="Notice", requires=False)
        policy(hr, kind="dutytest.manual", title="Manual draft", publish=False)
    reading = client_for(doc_app, "reader")

    def marks(client):
        page = client.get("/documents").get_data(as_text=True)
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in page.split("<tr>")[2:]]
        return "(1 to acknowledge)" in page, {re.sub("<[^>]+>", "", cells[0]): cells[-1] for cells in rows}
    assert marks(reading) == (True, {"Employee manual": f'<a href="/documents/{manual.id}/read">To acknowledge</a>',
                                     "Notice": "Addressed to me"})
    queries = len(page_queries(reading, "/documents"))
    assert sign(reading, manual.id).status_code == 302
    assert marks(reading) == (False, {"Employee manual": "Addressed to me", "Notice": "Addressed to me"})
    assert marks(client_for(doc_app, "hrperson"))[1] == {"Employee manual": "", "Manual draft": "", "Notice": ""}
    with app_thread_context(doc_app):
        for n in range(3):
            policy(hr, documents.Audience.of(users=[reader]), kind="dutytest.manual", title=f"More {n}")
    assert len(page_queries(reading, "/documents")) == queries
    # kept per reader until a document, its audience or versions, an acknowledgment, a user or a role changes
    assert not reads_of(reading, "/documents", ("core_document", "core_document_audience",
                                                "core_document_acknowledgment", "core_user_role"))
    with app_thread_context(doc_app):
        write_sql("UPDATE core_document SET title = ? WHERE title = ?", "Staff handbook", "Employee manual")
    assert "Staff handbook" in marks(reading)[1]
    with app_thread_context(doc_app):
        write_sql("DELETE FROM core_document_audience WHERE document_id = ?", manual.id)
    assert "Staff handbook" not in marks(reading)[1]


def test_doctor_and_signing_catch_a_published_text_changed_in_the_database(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        reader = person(doc_app, "reader", ("front_desk",))
        document = policy(owner)
        assert doctor_checks()[0].status == "ok"
        version = documents.current_of(document)
        with transaction():
            DocumentVersion.update(body="Something else entirely").where(DocumentVersion.id == version.id).execute()
        assert doctor_checks()[0].status == "fail"
        with pytest.raises(documents.DocumentError, match="no longer matches"):
            documents.acknowledge(document, reader, TEST_PASSWORD, version_number=1, text_sha256=version.text_sha256,
                                  address="")


def test_the_daily_job_gives_newcomers_their_reminder(doc_app):
    with app_thread_context(doc_app):
        owner = person(doc_app, "owner", ("office_manager",))
        document = policy(owner)
        newcomer = person(doc_app, "newcomer", ("front_desk",))  # joined the role after publishing
        assert not Deadline.select().where(Deadline.assignee_user == newcomer).exists()
        assert reminders.sync_all().startswith("1 acknowledgment reminder")
        row = Deadline.get(Deadline.assignee_user == newcomer)
        assert row.key == reminders.key_for(document.id, 1, newcomer) and row.kind == "core.document_acknowledgment"


def test_status_counts_of_many_documents_equal_each_documents_people_in_one_query(doc_app):
    from medoffice.documents.status import counts, status_counts, status_counts_of_kind
    from medoffice.testing import count_queries

    with app_thread_context(doc_app):
        main = Location.create(name="Main Street")
        owner = person(doc_app, "owner", ("office_manager",))
        desk, biller = person(doc_app, "desk", ("front_desk",)), person(doc_app, "biller", ("billing",), location=main.id)
        late = person(doc_app, "late", ("front_desk",))
        everyone = documents.Audience.of(roles=[role_id("front_desk")], locations=[main.id])
        first = policy(owner, everyone, title="Clean desk policy", effective=practice_today() - dt.timedelta(days=90))
        second = policy(owner, documents.Audience.of(users=[desk, biller]), title="Sharps policy")
        third = policy(owner, everyone, title="Retired draft", publish=False)
        fourth = policy(owner, everyone, title="For information", requires=False)
        old = policy(owner, documents.Audience.of(users=[desk, late]), title="Old policy",
                     effective=practice_today() - dt.timedelta(days=90))
        # late's reminder of the first is past due; desk was never reminded of the old one (due 76 days ago)
        Deadline.update(due=practice_today() - dt.timedelta(days=1)).where(
            Deadline.key == reminders.key_for(first.id, 1, late)).execute()
        Deadline.update(state="superseded").where(Deadline.key == reminders.key_for(old.id, 1, desk)).execute()
    for username in ("desk", "biller"):
        assert sign(client_for(doc_app, username), first.id).status_code == 302
    with app_thread_context(doc_app):
        docs = [Document.get_by_id(d.id) for d in (first, second, third, fourth, old)]
        status_counts(docs, practice_today())  # settings read once, then cached
        with count_queries() as two:
            status_counts(docs[:2], practice_today())
        with count_queries() as four:
            found = status_counts(docs, practice_today())
        more = [policy(owner, documents.Audience.of(users=[late]), title=f"Policy {n}") for n in range(5)]
        with count_queries() as nine:  # past the eight ids one compiled statement takes
            many = status_counts(docs + more, practice_today())
        assert len(four) == len(two) == len(nine) == 1
        for document in docs + more:
            assert many[document.id] == counts(people(document, practice_today()))
        for document in docs:
            assert found[document.id] == counts(people(document, practice_today()))
        with count_queries() as one:
            of_kind = status_counts_of_kind("core.policy", practice_today())
        assert len(one) == 1 and of_kind == {d.id: many[d.id] for d in docs + more if d.state == "published"}
        assert (found[first.id]["acknowledged"], found[first.id]["overdue"]) == (2, 1)  # late has not signed
        assert (found[old.id]["overdue"], found[old.id]["pending"]) == (1, 1)
        assert found[fourth.id]["not_required"] == 3 and sum(found[third.id].values()) == 3
        assert late in [u.id for u in documents.members(first.id)]
