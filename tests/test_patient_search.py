"""Patient search (issue 17 item 3): phone digits in any formatting, MM/DD/YYYY and ISO dates of
birth, and an exact account number that opens the patient."""
import datetime as dt

from medoffice.db import db
from medoffice.models import Patient
from medoffice.dates import parse_typed as parse_date
from medoffice.patient_search import phone_query


def seed(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            ann = Patient.create(account_number="P0000101", first_name="Ann", last_name="Lee",
                                 date_of_birth=dt.date(1980, 2, 3), phone="(555) 201-3344")
            bob = Patient.create(account_number="P0000102", first_name="Bob", last_name="Stone",
                                 date_of_birth=dt.date(1975, 12, 30), mobile="555.987.6543")
            return ann.id, bob.id
        finally:
            db.close()


def names(response):
    body = response.get_data(as_text=True)
    return {name for name in ("Lee, Ann", "Stone, Bob") if name in body}


def test_dates_and_phone_text_are_read_as_such():
    assert parse_date("02/03/1980") == dt.date(1980, 2, 3)
    assert parse_date("2/3/1980") == dt.date(1980, 2, 3)
    assert parse_date("1980-02-03") == dt.date(1980, 2, 3)
    assert parse_date("13/45/1980") is None
    assert parse_date("Lee") is None
    assert phone_query("(555) 201-3344") == "5552013344"
    assert phone_query("02/03/1980") is None
    assert phone_query("12") is None  # too few digits to mean a phone number
    assert phone_query("Lee") is None


def test_search_by_phone_in_any_formatting(admin_client, app):
    seed(app)
    for typed in ("555-201-3344", "5552013344", "(555) 201 3344", "201-3344"):
        assert names(admin_client.get("/patients", query_string={"q": typed})) == {"Lee, Ann"}, typed
    # The mobile number is searched too.
    assert names(admin_client.get("/patients", query_string={"q": "555 987 6543"})) == {"Stone, Bob"}


def test_search_by_date_of_birth_us_and_iso(admin_client, app):
    seed(app)
    for typed in ("12/30/1975", "12/30/1975 ", "1975-12-30"):
        assert names(admin_client.get("/patients", query_string={"q": typed})) == {"Stone, Bob"}, typed
    # A date with a name narrows to both.
    assert names(admin_client.get("/patients", query_string={"q": "Lee 02/03/1980"})) == {"Lee, Ann"}
    assert names(admin_client.get("/patients", query_string={"q": "Stone 02/03/1980"})) == set()


def test_exact_account_number_opens_the_patient(admin_client, app):
    ann_id, _ = seed(app)
    response = admin_client.get("/patients", query_string={"q": "p0000101"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/patients/{ann_id}")
    # From the type-ahead box, htmx is told to navigate there.
    typed = admin_client.get("/patients", query_string={"q": "P0000101"}, headers={"HX-Request": "true"})
    assert typed.headers["HX-Location"] == f"/patients/{ann_id}"
    # Part of an account number still lists.
    partial = admin_client.get("/patients", query_string={"q": "P00001"})
    assert partial.status_code == 200 and names(partial) == {"Lee, Ann", "Stone, Bob"}
