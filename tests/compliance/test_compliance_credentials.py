"""Credentialing through the pages, with CSRF on: a licence with its scan on the board and on core's
deadlines (90/60/30 days, escalated to the office manager), bad input refused with nothing written,
verifications, the practice's certificates, "ready to bill" and billing's hold hook."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from medoffice import deadlines, files
from medoffice.models import AuditEvent, StaffMember
from medoffice.db import db
from medoffice.testing import connected, count_queries, login, page_queries, practice_today

from medoffice_compliance import credentials, plugin
from medoffice_compliance.credentials import CredentialValues
from medoffice_compliance.models import Credential, Verification

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = practice_today()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _provider(app, first="Ann", last="Able", npi="1234567893") -> int:
    with connected(app):
        return StaffMember.create(first_name=first, last_name=last, credentials="MD", is_provider=True, npi=npi).id


def _licence(client, staff_id, **extra):
    form = {"kind": "state_licence", "staff_id": str(staff_id), "state": "CA", "number": "A12345",
            "issuer": "Medical Board of California", "payer_id": "", "status": "", "effective_on": "2024-01-01",
            "expires_on": (TODAY + dt.timedelta(days=45)).isoformat(), "limit_per_claim": "", "limit_aggregate": "",
            "note": "", "document": (io.BytesIO(PDF), "licence.pdf"), **extra}
    return client.post("/compliance/credentials/new", data=form, content_type="multipart/form-data")


def _claim(claim_id: int, rendering_npi: str, payer_id: str, service_date: dt.date, service_state: str = "") -> dict:
    """One claim as billing's scrubber describes it to ``billing_claim_holds``."""
    return {"claim_id": claim_id, "rendering_npi": rendering_npi, "billing_npi": "1999999984", "payer_id": payer_id,
            "service_date": service_date, "service_state": service_state}


def test_a_licence_with_its_scan_shows_on_the_board_and_the_deadlines(app):
    manager = login(app.test_client(), "office_manager")
    ann = _provider(app)
    saved = _licence(manager, ann)
    assert saved.status_code == 302, _text(saved)
    with connected(app):
        licence = Credential.get()
        scans = files.list_for("compliance", "credential", licence.id)
        deadline = deadlines.find("compliance", f"credential:{licence.id}")
    assert [s.name for s in scans] == ["licence.pdf"]
    assert deadline.due == TODAY + dt.timedelta(days=45) and deadline.kind == "compliance.credential_due"
    assert deadline.assignee_role == "office_manager" and "State licence (CA) of Ann Able" in deadline.title
    board = _text(manager.get("/compliance/"))
    assert "<tr><td>Able, Ann, MD" in board and "chip-amber" in board  # due within 90 days
    due = (TODAY + dt.timedelta(days=45)).isoformat()
    assert (f'<td><a href="/compliance/credentials/{licence.id}"><span class="chip chip-amber">CA {due}, '
            'due soon or pending</span></a> </td>') in board
    assert "<option >AL</option>" in board and "<option selected>CA</option>" in _text(manager.get("/compliance/?state=CA"))
    assert "<tr><td>Able, Ann, MD" not in _text(manager.get("/compliance/?colour=green"))
    page = _text(manager.get(f"/compliance/credentials/{licence.id}"))
    assert "A12345" in page and "licence.pdf" in page and "check digit valid" in page


def test_bad_credentials_are_refused_and_nothing_is_written(app):
    manager = login(app.test_client(), "office_manager")
    ann = _provider(app)
    no_expiry = _licence(manager, ann, expires_on="")
    assert no_expiry.status_code == 422 and "expiry date" in _text(no_expiry)
    no_state = _licence(manager, ann, state="")
    assert no_state.status_code == 422 and "state" in _text(no_state)
    backwards = _licence(manager, ann, effective_on="2030-01-01", expires_on="2029-01-01")
    assert backwards.status_code == 422
    not_a_pdf = _licence(manager, ann, document=(io.BytesIO(b"<html>no</html>"), "licence.pdf"))
    assert not_a_pdf.status_code == 422
    practice_licence = _licence(manager, "", kind="state_licence")
    assert practice_licence.status_code == 422 and "belongs to a provider" in _text(practice_licence)
    with connected(app):
        assert Credential.select().count() == 0
        assert files.list_for("compliance", "credential", 1) == []
    desk = login(app.test_client(), "front_desk")
    assert desk.get("/compliance/").status_code == 403
    assert _licence(desk, ann).status_code == 403


def test_verifications_are_logged_with_evidence(app):
    manager = login(app.test_client(), "office_manager")
    ann = _provider(app)
    _licence(manager, ann)
    with connected(app):
        licence_id = Credential.get().id
    url = f"/compliance/credentials/{licence_id}/verifications"
    assert manager.post(url, data={"verified_on": TODAY.isoformat(), "source": ""}).status_code == 422
    logged = manager.post(url, data={"verified_on": TODAY.isoformat(), "source": "search.dca.ca.gov",
                                     "result": "Current, no discipline", "evidence": (io.BytesIO(PDF), "dca.pdf")},
                          content_type="multipart/form-data")
    assert logged.status_code == 302
    with connected(app):
        verification = Verification.get()
        assert files.list_for("compliance", "verification", verification.id)[0].name == "dca.pdf"
        assert AuditEvent.select().where(AuditEvent.action == "compliance.verification.create").count() == 1
    assert "search.dca.ca.gov" in _text(manager.get(f"/compliance/credentials/{licence_id}"))


def test_the_board_writes_each_providers_row_as_its_template_did(app):
    """The providers' rows are written in the view: the name escaped, "+" for editors only, the overall chip as
    ui.chip writes it, an empty cell per kind without a credential, and the row saying no provider matches."""
    odd = _provider(app, first="<b>Bo</b>", last="O'Neil & Co", npi="")
    with connected(app):
        lapsed = _save(odd, "dea", state="CA", number="AB1234563", expires_on=TODAY - dt.timedelta(days=1))
    _provider(app, first="Cy", last="Nobody", npi="1234567893")
    manager = login(app.test_client(), "office_manager")
    board = _text(manager.get("/compliance/"))
    kinds = "<td></td>" * 10
    assert (f'<tr><td>O&#39;Neil &amp; Co, &lt;b&gt;Bo&lt;/b&gt;, MD <a href="/compliance/credentials/new?staff_id={odd}">'
            f'+</a></td>\n<td><span class="chip chip-red">red</span></td>\n<td></td>'
            f'<td><a href="/compliance/credentials/{lapsed.id}"><span class="chip chip-red">') in board
    assert f'<td><span class="chip chip-none">nothing on file</span></td>\n{kinds}</tr>\n' in board
    reader = _text(login(app.test_client(), "auditor").get("/compliance/"))
    assert "<tr><td>O&#39;Neil &amp; Co, &lt;b&gt;Bo&lt;/b&gt;, MD</td>\n" in reader and "credentials/new" not in reader
    none = _text(manager.get("/compliance/?colour=green"))
    assert '<tbody><tr><td colspan="12">No provider matches.</td></tr></tbody>' in none


def test_the_board_is_kept_until_any_writer_changes_a_credential_or_the_staff(app):
    """The board's colours and chips are read once and kept (per filter); a credential changed by any writer (here
    plain SQL, as another process or a console would) or a provider renamed shows on the very next view."""
    ann = _provider(app)
    with connected(app):
        licence = _save(ann, "state_licence", state="CA", number="A12345", expires_on=TODAY + dt.timedelta(days=400))
    manager = login(app.test_client(), "office_manager")
    assert "chip chip-green" in _text(manager.get("/compliance/"))
    for url in ("/compliance/", "/compliance/?state=CA"):
        kept = page_queries(manager, url)
        assert not [sql for sql in kept if "compliance_credential" in sql or "core_staff" in sql]
    with connected(app):  # lapsed, as a console would write it
        db.execute_sql(f"UPDATE compliance_credential SET due_on = {db.param} WHERE id = {db.param}",
                       (TODAY - dt.timedelta(days=1), licence.id))
    board = _text(manager.get("/compliance/"))
    assert "chip chip-red" in board and "chip chip-green" not in board
    assert "chip chip-red" in _text(manager.get("/compliance/?state=CA"))
    with connected(app):
        db.execute_sql(f"UPDATE core_staff SET first_name = 'Anna' WHERE id = {db.param}", (ann,))
    board = _text(manager.get("/compliance/"))
    assert "<tr><td>Able, Anna, MD" in board and f'<option value="{ann}" >Able, Anna, MD</option>' in board
    reader = _text(login(app.test_client(), "auditor").get("/compliance/"))  # the same rows, without "+"
    assert "<tr><td>Able, Anna, MD</td>\n" in reader and "credentials/new" not in reader


def test_practice_certificates_sit_on_the_practice_row(app):
    manager = login(app.test_client(), "office_manager")
    clia = _licence(manager, "", kind="clia", state="", number="05D1234567", issuer="CMS",
                    expires_on=(TODAY - dt.timedelta(days=1)).isoformat())
    assert clia.status_code == 302, _text(clia)
    board = _text(manager.get("/compliance/"))
    assert "The practice" in board and "chip-red" in board


def _save(staff_id, kind, **values):
    return credentials.save(CredentialValues(kind, staff_id, **values), "test")


def test_a_provider_is_ready_to_bill_only_with_everything_current(app):
    ann = _provider(app)
    day = dt.date(2026, 6, 15)
    with connected(app):
        assert set(credentials.billing_holds(ann, "BS001", day)) == {
            "No state licence in force on 2026-06-15.", "No malpractice cover in force on 2026-06-15.",
            "Not enrolled with payer BS001 on 2026-06-15."}
        _save(ann, "state_licence", state="CA", effective_on=dt.date(2024, 1, 1), expires_on=dt.date(2026, 6, 14))
        _save(ann, "malpractice", issuer="TDC", effective_on=dt.date(2026, 1, 1), expires_on=dt.date(2027, 1, 1))
        _save(ann, "payer_enrollment", issuer="Blue Shield", payer_id="BS001", status="enrolled",
              effective_on=dt.date(2026, 7, 1))
        _save(ann, "dea", state="CA", effective_on=dt.date(2023, 1, 1), expires_on=dt.date(2026, 5, 31))
        holds = credentials.billing_holds(ann, "BS001", day)
        assert holds == ["No state licence in force on 2026-06-15.", "The DEA registration had lapsed on 2026-06-15.",
                         "Not enrolled with payer BS001 on 2026-06-15."]
        _save(ann, "state_licence", state="CA", effective_on=dt.date(2026, 6, 14), expires_on=dt.date(2028, 6, 14))
        _save(ann, "dea", state="CA", effective_on=dt.date(2026, 5, 31), expires_on=dt.date(2029, 5, 31))
        assert credentials.billing_holds(ann, "BS001", dt.date(2026, 7, 1)) == []
        assert credentials.billing_holds(ann, "bs001", dt.date(2026, 7, 1)) == []
        assert credentials.billing_holds(ann, "AETNA", dt.date(2026, 7, 1)) == [
            "Not enrolled with payer AETNA on 2026-07-01."]
        # Billing's scrubber asks through its hook, a batch at a time, with plain values.
        # It holds for what is on file and not current, not for what was never entered (no AETNA enrollment).
        held = plugin.billing_claim_holds([_claim(1, "1234567893", "BS001", dt.date(2026, 6, 20)),
                                           _claim(2, "1234567893", "BS001", dt.date(2026, 7, 2)),
                                           _claim(3, "1111111111", "BS001", dt.date(2026, 6, 20)),
                                           _claim(4, "1234567893", "AETNA", dt.date(2026, 7, 2))])
        assert held == [(1, "Able, Ann, MD: Not enrolled with payer BS001 on 2026-06-20.")]
    manager = login(app.test_client(), "office_manager")
    page = _text(manager.get(f"/compliance/ready?staff_id={ann}&payer_id=BS001&on=2026-06-20"))
    assert "Not ready" in page and "Not enrolled with payer BS001" in page
    assert manager.get(f"/compliance/ready?staff_id={ann}&payer_id=BS001&on=20-06-2026").status_code == 400


def test_caqh_and_medicare_follow_their_cycles_and_removal_supersedes(app):
    ann = _provider(app)
    with connected(app):
        caqh = _save(ann, "caqh", number="12345678", effective_on=dt.date(2026, 11, 15))
        medicare = _save(ann, "medicare_revalidation", effective_on=dt.date(2024, 2, 29))
        assert caqh.due_on == dt.date(2027, 3, 15) and medicare.due_on == dt.date(2029, 2, 28)
        assert deadlines.find("compliance", f"credential:{caqh.id}").due == dt.date(2027, 3, 15)
        credentials.remove(caqh, "Provider left")
        assert deadlines.find("compliance", f"credential:{caqh.id}").state == "superseded"
        assert Credential.get_by_id(caqh.id).removed_reason == "Provider left"  # kept, not deleted


def test_the_licence_must_be_for_the_state_the_provider_practises_in(app):
    with connected(app):
        from medoffice.models import Location

        reno = Location.create(name="Reno", state="NV")
        bob = StaffMember.create(first_name="Bob", last_name="Baker", is_provider=True, npi="1999999984",
                                 location=reno).id
        _save(bob, "state_licence", state="CA", effective_on=dt.date(2024, 1, 1), expires_on=dt.date(2030, 1, 1))
        _save(bob, "malpractice", issuer="TDC", effective_on=dt.date(2024, 1, 1), expires_on=dt.date(2030, 1, 1))
        _save(bob, "payer_enrollment", issuer="Aetna", payer_id="60054", status="enrolled",
              effective_on=dt.date(2024, 1, 1))
        june = dt.date(2026, 6, 1)
        assert plugin.billing_claim_holds([_claim(5, "1999999984", "60054", june)]) == [
            (5, "Baker, Bob: No NV state licence in force on 2026-06-01.")]
        # A visit in California (the encounter's location says so) needs the California licence only.
        assert plugin.billing_claim_holds([_claim(6, "1999999984", "60054", june, "CA")]) == []
        _save(bob, "state_licence", state="NV", effective_on=dt.date(2024, 1, 1), expires_on=dt.date(2030, 1, 1))
        assert plugin.billing_claim_holds([_claim(5, "1999999984", "60054", june)]) == []


def test_a_batch_of_claims_costs_the_same_statements_as_one(app):
    ann, bob = _provider(app), _provider(app, "Bob", "Baker", "1999999984")
    with connected(app):
        for staff in (ann, bob):
            _save(staff, "state_licence", state="CA", effective_on=dt.date(2024, 1, 1), expires_on=dt.date(2026, 1, 1))
        one = [_claim(1, "1234567893", "BS001", dt.date(2026, 6, 1))]
        many = [_claim(n, ("1234567893", "1999999984")[n % 2], "BS001", dt.date(2026, 6, 1) + dt.timedelta(days=n))
                for n in range(200)]
        with count_queries() as single:
            assert len(plugin.billing_claim_holds(one)) == 1
        with count_queries() as batch:
            assert len(plugin.billing_claim_holds(many)) == 200  # every one held: the licences lapsed
        assert len(batch) == len(single)
