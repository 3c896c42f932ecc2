"""The shell's basics: login gate, dashboard, health check, 404, htmx fragments."""


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_health_check_is_public(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_dashboard_full_page_and_htmx_fragment(admin_client):
    full = admin_client.get("/").get_data(as_text=True)
    assert "<html" in full and 'hx-boost="true"' in full and "Today" in full
    fragment = admin_client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "today-queue" in fragment
    boosted = admin_client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
    assert "<html" in boosted


def test_unknown_page_is_404_with_friendly_page(admin_client):
    response = admin_client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_patient_registration_validates_and_audits(admin_client, app):
    bad = admin_client.post("/patients/new", data={"first_name": "", "last_name": "Lee",
                                                  "date_of_birth": "2999-01-01"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="first_name-error"' in page and 'id="date_of_birth-error"' in page
    good = admin_client.post("/patients/new", data={"first_name": "Ann", "last_name": "Lee",
                                                   "date_of_birth": "1980-02-03", "sex": "F",
                                                   "preferred_contact": "phone"})
    assert good.status_code == 302
    view = admin_client.get(good.headers["Location"])
    assert view.status_code == 200 and "Lee, Ann" in view.get_data(as_text=True)
    from medoffice.db import db
    from medoffice.models import AuditEvent, Patient

    with app.app_context():
        db.connect(reuse_if_open=True)
        patient = Patient.get(Patient.last_name == "Lee")
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient_id == patient.id)]
        db.close()
    assert actions == ["patient.create", "patient.view"]


def test_startup_objects_are_frozen_out_of_garbage_collection_and_later_ones_are_not():
    import gc

    from medoffice.app import freeze_startup_objects

    before = ["built at startup"]
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects())  # in the permanent generation, never walked
        later = ["built while serving"]
        assert any(o is later for o in gc.get_objects())  # collected as usual
    finally:
        gc.unfreeze()


def test_the_top_bar_names_the_user_and_follows_a_rename(app):
    from medoffice.models import User
    from medoffice.testing import connected, login

    client = login(app.test_client(), "admin", "renamed")
    assert "<span>Test Renamed</span>" in client.get("/").get_data(as_text=True)
    with connected(app):
        User.update(full_name="Ada <Lovelace>").where(User.username == "renamed").execute()
    page = client.get("/").get_data(as_text=True)
    assert "<span>Ada &lt;Lovelace&gt;</span>" in page and "Test Renamed" not in page
    auditor = login(app.test_client(), "auditor")  # may not look up patients: the search box goes nowhere
    assert 'class="search-jump" role="search" action="#"' in auditor.get("/").get_data(as_text=True)
    assert 'class="search-jump" role="search" action="/patients"' in page
