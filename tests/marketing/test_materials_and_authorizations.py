"""Materials in core's versioned documents (reading grade, clinician approval, review deadline) and
testimonial authorizations under HIPAA 164.508 (signed form, expiry, revocation) checked before use."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from medoffice import deadlines, documents, files
from medoffice.models import StaffMember, User
from medoffice.settings import today
from medoffice.testing import connected, login

from medoffice_marketing import authorizations, materials
from medoffice_marketing.models import Material
from medoffice_marketing import models as tables

from marketing_setup import new_patient

PLAIN = ("Bring your pills. Bring your card. Come ten minutes early. We will check your weight. "
         "Ask us what you want to know. We are glad to see you.")
HARD = ("Comprehensive cardiovascular risk stratification necessitates longitudinal evaluation of "
        "physiological parameters, pharmacological adherence, and hereditary predispositions, "
        "notwithstanding considerable interindividual heterogeneity in therapeutic responsiveness.")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_reading_grade_comes_from_textstat_and_is_judged_against_the_target(mk_app):
    with connected(mk_app):
        easy, hard = materials.reading_grade(PLAIN), materials.reading_grade(HARD)
        assert easy < 6 < 8 < hard
        assert materials.grade_verdict(hard) == "too_hard" and materials.grade_verdict(7.0) == "on_target"
        assert materials.reading_grade("Too short.") is None
        assert materials.plain_text("**Bold** [a link](http://x.example)") .split() == ["Bold", "a", "link"]


def test_clinical_material_is_approved_only_by_a_clinician_and_has_a_review_deadline(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    doctor = login(mk_app.test_client(), "office_manager", username="drlee")
    with connected(mk_app):
        provider = StaffMember.create(first_name="Ada", last_name="Lee", is_provider=True)
        User.update(staff_id=provider.id).where(User.username == "drlee").execute()
    answer = manager.post("/marketing/materials/new", data={"title": "Blood pressure at home", "kind": "handout",
                                                            "clinical": "y", "review_on": "2027-06-01", "body": HARD})
    assert answer.status_code == 302
    with connected(mk_app):
        piece = Material.get()
        assert deadlines.find("marketing", f"material-review:{piece.id}").due == dt.date(2027, 6, 1)
        document = materials.document_of(piece)
    page = manager.get(f"/marketing/materials/{piece.id}").get_data(as_text=True)
    assert "above target" in page and "none yet (a draft)" in page
    manager.post(f"/marketing/materials/{piece.id}/approve")  # nothing published yet
    with connected(mk_app):
        documents.publish(document, effective_on=today(), summary="First version.", requires_acknowledgment=False)
    manager.post(f"/marketing/materials/{piece.id}/approve")  # not a clinician
    with connected(mk_app):
        assert Material.get_by_id(piece.id).approved_version is None
    doctor.post(f"/marketing/materials/{piece.id}/approve")
    with connected(mk_app):
        assert Material.get_by_id(piece.id).approved_version == 1
        documents.start_draft(document)
        documents.save_draft(document, title="Blood pressure at home", body=PLAIN)
        documents.publish(document, effective_on=today(), summary="Simpler words.", requires_acknowledgment=False)
        state = materials.status(Material.get_by_id(piece.id))
        assert state["approved"] is False and state["verdict"] != "too_hard"  # a new version needs approval again


def test_the_library_lists_each_piece_with_its_own_version_and_grade(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        owner = User.select().first().id
        materials.create("Parking", "handout", False, None, PLAIN, owner)
        hard = materials.create("Heart", "handout", True, None, HARD, owner)
        documents.publish(materials.document_of(hard), effective_on=today(), summary="First.",
                          requires_acknowledgment=False)
        pieces = list(Material.select().order_by(Material.id))
        assert [state for _, state in materials.statuses(pieces)] == [materials.status(p) for p in pieces]
    page = manager.get("/marketing/materials").get_data(as_text=True)
    assert re.findall(r">(Parking|Heart)</a>.*?<td>[^<]*</td><td>([^<]*)</td>", page, re.S) == [
        ("Heart", "version 1"), ("Parking", "draft only")]


def test_a_testimonial_is_usable_only_under_a_signed_unexpired_unrevoked_authorization(mk_app):
    manager = login(mk_app.test_client(), "office_manager")
    with connected(mk_app):
        patient = new_patient()
        testimonial = authorizations.add_testimonial(patient.id, "testimonial", "The best care in town.")
        with pytest.raises(authorizations.AuthorizationError, match="no signed authorization"):
            authorizations.mark_usable(testimonial, today())
        row = authorizations.record(patient.id, "testimonial", "Website and brochure", today(),
                                    today() + dt.timedelta(days=365), "tester")
        with pytest.raises(authorizations.AuthorizationError, match="signed form is not on file"):
            authorizations.mark_usable(testimonial, today())
        photo_only = authorizations.add_testimonial(patient.id, "photo", "Smiling at the desk")
        files.attach("marketing", "authorization", row.id, authorizations.FILE_KIND, PDF, "signed.pdf")
        authorizations.mark_usable(testimonial, today())
        with pytest.raises(authorizations.AuthorizationError, match="no signed authorization"):
            authorizations.mark_usable(photo_only, today())  # a testimonial authorization is not a photo's
        assert authorizations.withdraw_expired(today() + dt.timedelta(days=366)) == 1
        assert tables.Testimonial.get_by_id(testimonial.id).usable is False
    # Through the pages: the form needs the signed file; revoking withdraws the use.
    refused = manager.post(f"/marketing/patients/{patient.id}/authorizations", data={
        "use": "photo", "scope": "Website", "signed_on": today().isoformat(),
        "expires_on": (today() + dt.timedelta(days=30)).isoformat()}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert manager.post(f"/marketing/patients/{patient.id}/authorizations", data={
        "use": "photo", "scope": "Website", "signed_on": today().isoformat(),
        "expires_on": (today() + dt.timedelta(days=30)).isoformat(),
        "signed_form": (io.BytesIO(PDF), "form.pdf")}, content_type="multipart/form-data").status_code == 302
    assert manager.post(f"/marketing/testimonials/{photo_only.id}/usable").status_code == 302
    with connected(mk_app):
        assert tables.Testimonial.get_by_id(photo_only.id).usable is True
        photo_auth = tables.Testimonial.get_by_id(photo_only.id).authorization_id
    manager.post(f"/marketing/authorizations/{photo_auth}/revoke", data={"revoked_on": today().isoformat(), "note": ""})
    with connected(mk_app):
        assert tables.Testimonial.get_by_id(photo_only.id).usable is False
    assert login(mk_app.test_client(), "front_desk").get(
        f"/marketing/patients/{patient.id}/authorizations").status_code == 403
