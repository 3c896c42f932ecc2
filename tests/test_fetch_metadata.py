"""Fetch Metadata resource isolation (issue 9, item 9): an application route loaded as an image,
script, style... or by another site's script answers 403 before login handling and leaves no audit
entry; static assets, page navigations and htmx requests work as before."""
from __future__ import annotations

import datetime as dt

import pytest

from medoffice.db import db
from medoffice.models import AuditEvent, Patient
from medoffice.testing import login

SAME_ORIGIN_PAGE = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin"}
HTMX = {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin", "HX-Request": "true"}
EMBEDDED = ["image", "script", "style", "font", "audio", "video", "track", "object", "embed", "manifest",
            "worker", "sharedworker", "serviceworker", "xslt", "audioworklet", "paintworklet", "report"]


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


@pytest.fixture
def patient_id(app):
    return in_db(app, lambda: Patient.create(account_number="P0000777", first_name="Ada", last_name="Byron",
                                             date_of_birth=dt.date(1980, 1, 2)).id)


def audit_count(app) -> int:
    return in_db(app, lambda: AuditEvent.select().count())


def test_a_patient_page_loaded_as_an_image_is_refused_without_an_audit_entry(app, patient_id):
    admin = login(app.test_client(), "admin")
    before = audit_count(app)
    for dest in EMBEDDED:
        response = admin.get(f"/patients/{patient_id}", headers={"Sec-Fetch-Dest": dest, "Sec-Fetch-Mode": "no-cors",
                                                                "Sec-Fetch-Site": "same-origin"})
        assert response.status_code == 403, dest
        assert response.headers["Content-Security-Policy"] and "Byron" not in response.get_data(as_text=True)
    assert audit_count(app) == before
    # The same request as a page opens the record, and that read is audited.
    page = admin.get(f"/patients/{patient_id}", headers=SAME_ORIGIN_PAGE)
    assert page.status_code == 200 and "Byron" in page.get_data(as_text=True)
    assert audit_count(app) > before


def test_refused_before_login_handling(app, patient_id):
    response = app.test_client().get(f"/patients/{patient_id}", headers={"Sec-Fetch-Dest": "image"})
    assert response.status_code == 403 and "Location" not in response.headers  # no redirect to the login page


def test_static_assets_load_as_anything_from_anywhere(app):
    client = app.test_client()
    for dest, path in (("style", "/static/css/medoffice.css"), ("script", "/static/js/medoffice.js"),
                       ("image", "/static/favicon.svg")):
        response = client.get(path, headers={"Sec-Fetch-Dest": dest, "Sec-Fetch-Site": "cross-site",
                                             "Sec-Fetch-Mode": "no-cors"})
        assert response.status_code == 200, path
        response.close()


def test_pages_htmx_and_clients_without_the_headers_work(app, patient_id):
    admin = login(app.test_client(), "admin")
    assert admin.get("/patients", headers=SAME_ORIGIN_PAGE).status_code == 200
    assert admin.get("/patients", headers=HTMX).status_code == 200
    assert admin.get(f"/patients/{patient_id}", headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Mode": "navigate",
                                                         "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert admin.get("/patients").status_code == 200
    typed = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
    assert admin.get("/patients", headers=typed).status_code == 200  # an address typed or bookmarked


def test_another_site_may_link_to_a_page_but_not_fetch_or_post(app, patient_id):
    admin = login(app.test_client(), "admin")
    followed = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"}
    assert admin.get("/patients", headers=followed).status_code == 200
    before = audit_count(app)
    fetched = {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site"}
    assert admin.get(f"/patients/{patient_id}", headers=fetched).status_code == 403
    posted = admin.post(f"/patients/{patient_id}/edit", data={"first_name": "Eve"}, headers=followed)
    assert posted.status_code == 403
    assert audit_count(app) == before
    assert in_db(app, lambda: Patient.get_by_id(patient_id).first_name) == "Ada"
