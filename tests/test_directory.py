"""Staff and locations directory: validation, audit, deactivate, table helper, inline edit."""
import json
import re

import pytest
from hypothesis import given, strategies as st

from medoffice.db import db
from medoffice.identifiers import npi_is_valid, taxonomy_is_valid
from medoffice.models import AuditEvent, Location, StaffMember
from medoffice.testing import contract_problems

NPI = "1234567893"  # the CMS example NPI (valid check digit)
NPI_2 = "1245319599"


def staff_data(**changes):
    data = {"first_name": "Maria", "last_name": "Ortiz", "credentials": "MD", "job_title": "Physician",
            "email": "mortiz@example.org", "phone": "555-201-3344", "location": "",
            "is_provider": "y", "npi": NPI, "taxonomy": "207Q00000X"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def location_data(**changes):
    data = {"name": "Main Street Clinic", "address1": "1 Main St", "city": "Springfield", "state": "il",
            "zip": "62701", "phone": "555-100-2000", "npi": "", "place_of_service": "11"}
    data.update(changes)
    return data


def query(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def audit_events(app, action):
    return query(app, lambda: [(e.object_id, json.loads(e.detail)) for e in
                               AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq)])


# --- identifiers ------------------------------------------------------------------------------

def test_npi_check_digit():
    assert npi_is_valid(NPI) and npi_is_valid(NPI_2)
    assert not npi_is_valid("1234567890")
    assert not npi_is_valid("123456789") and not npi_is_valid("12345678931") and not npi_is_valid("12345678a3")
    assert not npi_is_valid("１２３４５６７８９３")  # full-width digits are not ASCII digits


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_completes_any_nine_digits(first_nine):
    assert sum(npi_is_valid(first_nine + str(d)) for d in range(10)) == 1


def test_taxonomy_format():
    assert taxonomy_is_valid("207Q00000X") and taxonomy_is_valid("363LF0000X")
    for bad in ("207Q0000X", "207Q00000Y", "207q00000x", "207Q00000XX", "207Q-0000X", ""):
        assert not taxonomy_is_valid(bad)


# --- staff ------------------------------------------------------------------------------------

def test_staff_pages_need_the_right_permission(client, client_as):
    assert client.get("/staff").status_code == 302
    front_desk = client_as("front_desk")
    assert front_desk.get("/staff").status_code == 200
    assert front_desk.get("/staff/new").status_code == 403
    assert front_desk.post("/staff/new", data=staff_data()).status_code == 403
    assert front_desk.get("/locations").status_code == 403
    assert client_as("hr").get("/staff/new").status_code == 200


def test_provider_validation_errors_are_inline_and_nothing_is_saved(admin_client, app):
    bad_npi = admin_client.post("/staff/new", data=staff_data(npi="1234567890", taxonomy="207Q0000X"))
    assert bad_npi.status_code == 422
    page = bad_npi.get_data(as_text=True)
    assert 'id="npi-error"' in page and "check digit" in page
    assert 'id="taxonomy-error"' in page and "ending in X" in page
    missing = admin_client.post("/staff/new", data=staff_data(npi="", taxonomy=""))
    assert missing.status_code == 422
    assert "Providers need their NPI" in missing.get_data(as_text=True)
    assert "Providers need their taxonomy code" in missing.get_data(as_text=True)
    assert query(app, lambda: StaffMember.select().count()) == 0
    non_provider = admin_client.post("/staff/new", data=staff_data(is_provider=None, npi="", taxonomy="",
                                                                   first_name="Jo", last_name="Reyes"))
    assert non_provider.status_code == 302


def test_create_and_edit_staff_are_audited(admin_client, app):
    created = admin_client.post("/staff/new", data=staff_data(taxonomy="207q00000x", npi="123 456 7893"))
    assert created.status_code == 302
    member = query(app, lambda: StaffMember.get(StaffMember.last_name == "Ortiz"))
    assert member.npi == NPI and member.taxonomy == "207Q00000X" and member.is_provider
    assert audit_events(app, "staff.create")[0][0] == str(member.id)

    clash = admin_client.post("/staff/new", data=staff_data(first_name="Other", last_name="Person"))
    assert clash.status_code == 422 and "already has this NPI" in clash.get_data(as_text=True)

    edited = admin_client.post(f"/staff/{member.id}/edit", data=staff_data(job_title="Medical director"))
    assert edited.status_code == 302
    assert query(app, lambda: StaffMember.get_by_id(member.id).job_title) == "Medical director"
    (object_id, detail), = audit_events(app, "staff.update")
    assert object_id == str(member.id)
    assert detail == {"changed": {"job_title": {"before": "Physician", "after": "Medical director"}}}


def test_deactivate_keeps_the_row_and_moves_it_to_the_inactive_list(admin_client, app):
    admin_client.post("/staff/new", data=staff_data())
    member = query(app, lambda: StaffMember.get(StaffMember.last_name == "Ortiz"))
    edit_page = admin_client.get(f"/staff/{member.id}/edit").get_data(as_text=True)
    assert f'action="/staff/{member.id}/deactivate"' in edit_page and "data-confirm" in edit_page
    assert admin_client.post(f"/staff/{member.id}/deactivate", follow_redirects=True).status_code == 200
    assert query(app, lambda: StaffMember.get_by_id(member.id).active) is False
    assert "Ortiz" not in admin_client.get("/staff").get_data(as_text=True)
    assert "Ortiz, Maria" in admin_client.get("/staff?status=inactive").get_data(as_text=True)
    assert [e[0] for e in audit_events(app, "staff.deactivate")] == [str(member.id)]
    admin_client.post(f"/staff/{member.id}/activate")
    assert "Ortiz, Maria" in admin_client.get("/staff").get_data(as_text=True)


def test_staff_list_searches_sorts_and_paginates(admin_client, app):
    def seed():
        StaffMember.insert_many([{"first_name": f"First{i:02d}", "last_name": f"Last{i:02d}",
                                  "job_title": "Nurse" if i % 2 else "Biller"} for i in range(40)]).execute()
    query(app, seed)
    first = admin_client.get("/staff").get_data(as_text=True)
    assert "40 staff members" in first and "Last00, First00" in first and "Last25" not in first
    assert "Page 1 of 2" in first
    second = admin_client.get("/staff?page=2").get_data(as_text=True)
    assert "Last39" in second and "Last00" not in second
    desc = admin_client.get("/staff?sort=name&desc=1").get_data(as_text=True)
    assert desc.index("Last39") < desc.index("Last38")
    found = admin_client.get("/staff?q=Biller", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "20 staff members" in found and "<html" not in found


# --- inline edit ------------------------------------------------------------------------------

def test_inline_edit_of_phone_validates_saves_and_audits(admin_client, app):
    admin_client.post("/staff/new", data=staff_data())
    member = query(app, lambda: StaffMember.get(StaffMember.last_name == "Ortiz"))
    listing = admin_client.get("/staff").get_data(as_text=True)
    assert f'hx-get="/staff/{member.id}/phone/edit"' in listing
    assert f'id="staff-{member.id}-phone"' in listing

    editor = admin_client.get(f"/staff/{member.id}/phone/edit", headers={"HX-Request": "true"})
    html = editor.get_data(as_text=True)
    assert editor.status_code == 200 and 'class="inline-edit' in html
    assert 'value="555-201-3344"' in html and "data-inline-cancel" in html
    assert f'hx-get="/staff/{member.id}/phone"' in html

    bad = admin_client.post(f"/staff/{member.id}/phone/edit", data={"value": "call me"},
                            headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert f'id="staff-{member.id}-phone-error"' in bad.get_data(as_text=True)
    assert query(app, lambda: StaffMember.get_by_id(member.id).phone) == "555-201-3344"

    good = admin_client.post(f"/staff/{member.id}/phone/edit", data={"value": " 555-999-0000 "},
                             headers={"HX-Request": "true"})
    assert good.status_code == 200
    cell = good.get_data(as_text=True)
    assert "555-999-0000" in cell and 'class="inline-cell"' in cell and "<form" not in cell
    assert query(app, lambda: StaffMember.get_by_id(member.id).phone) == "555-999-0000"
    assert audit_events(app, "staff.update")[-1][1] == {
        "changed": {"phone": {"before": "555-201-3344", "after": "555-999-0000"}}}

    cancel = admin_client.get(f"/staff/{member.id}/phone", headers={"HX-Request": "true"})
    assert cancel.status_code == 200 and "555-999-0000" in cancel.get_data(as_text=True)


def test_inline_edit_of_email_and_permissions(admin_client, client_as, app):
    admin_client.post("/staff/new", data=staff_data())
    member_id = query(app, lambda: StaffMember.get(StaffMember.last_name == "Ortiz").id)
    bad = admin_client.post(f"/staff/{member_id}/email/edit", data={"value": "not-an-address"})
    assert bad.status_code == 422 and "e-mail address" in bad.get_data(as_text=True)
    assert admin_client.post(f"/staff/{member_id}/email/edit", data={"value": "maria@example.org"}).status_code == 200
    assert query(app, lambda: StaffMember.get_by_id(member_id).email) == "maria@example.org"

    viewer = client_as("front_desk")
    assert "inline-edit-button" not in viewer.get("/staff").get_data(as_text=True)
    assert viewer.get(f"/staff/{member_id}/email/edit").status_code == 403
    assert viewer.post(f"/staff/{member_id}/email/edit", data={"value": "x@example.org"}).status_code == 403
    assert viewer.get(f"/staff/{member_id}/email").status_code == 200
    assert admin_client.get(f"/staff/{member_id}/job_title/edit").status_code == 404


# --- locations --------------------------------------------------------------------------------

def test_location_validation_create_edit_and_deactivate(admin_client, app):
    bad = admin_client.post("/locations/new", data=location_data(npi="1234567890", state="Illinois",
                                                                 place_of_service="office"))
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="npi-error"' in page and 'id="state-error"' in page and 'id="place_of_service-error"' in page
    assert admin_client.post("/locations/new", data=location_data(npi=NPI_2)).status_code == 302
    location = query(app, lambda: Location.get(Location.name == "Main Street Clinic"))
    assert location.state == "IL" and location.npi == NPI_2
    dup = admin_client.post("/locations/new", data=location_data(name="main street clinic"))
    assert dup.status_code == 422 and "already has this name" in dup.get_data(as_text=True)

    assert admin_client.post(f"/locations/{location.id}/edit", data=location_data(npi=NPI_2, zip="62702")).status_code == 302
    (_, detail), = audit_events(app, "location.update")
    assert detail == {"changed": {"zip": {"before": "62701", "after": "62702"}}}

    admin_client.post("/staff/new", data=staff_data(location=str(location.id)))
    listing = admin_client.get("/locations").get_data(as_text=True)
    row = re.search(r"<tr>.*?Main Street Clinic.*?</tr>", listing, re.S).group(0)
    assert '<td class="num">1</td>' in row

    assert admin_client.post(f"/locations/{location.id}/deactivate", follow_redirects=True).status_code == 200
    assert query(app, lambda: Location.get_by_id(location.id).active) is False
    assert "Main Street Clinic" not in admin_client.get("/locations").get_data(as_text=True)
    assert "Main Street Clinic" not in admin_client.get("/staff/new").get_data(as_text=True)
    member_id = query(app, lambda: StaffMember.get(StaffMember.last_name == "Ortiz").id)
    # The staff member still points at it, and their form still shows it (marked inactive).
    assert "Main Street Clinic (inactive)" in admin_client.get(f"/staff/{member_id}/edit").get_data(as_text=True)
    assert [a for a, _ in audit_events(app, "location.create")] == [str(location.id)]


def test_the_locations_list_is_kept_until_a_location_or_a_staff_member_changes(admin_client, app):
    from medoffice.testing import reads_of, write_sql

    assert admin_client.post("/locations/new", data=location_data()).status_code == 302
    admin_client.post("/staff/new", data=staff_data())
    assert not reads_of(admin_client, "/locations", ("core_location", "core_staff"))
    query(app, lambda: write_sql("UPDATE core_location SET city = ? WHERE name = ?", "Shelbyville",
                                 "Main Street Clinic"))
    assert "Shelbyville, IL" in admin_client.get("/locations").get_data(as_text=True)
    location_id = query(app, lambda: Location.get(Location.name == "Main Street Clinic").id)
    query(app, lambda: write_sql("UPDATE core_staff SET location_id = ?", location_id))  # the count of active staff
    row = re.search(r"<tr>.*?Main Street Clinic.*?</tr>", admin_client.get("/locations").get_data(as_text=True), re.S)
    assert '<td class="num">1</td>' in row.group(0)


def test_core_contract_holds_for_routes_and_navigation(app):
    # Template placement is checked elsewhere; here: every route declares a permission and
    # every navigation entry (Staff, Locations, Settings) resolves.
    assert [p for p in contract_problems(app, "core") if not p.startswith("template ")] == []


def test_navigation_shows_directory_by_role(admin_client, client_as):
    nav = admin_client.get("/").get_data(as_text=True)
    assert 'href="/staff"' in nav and 'href="/locations"' in nav and 'href="/admin/settings"' in nav
    front = client_as("front_desk").get("/").get_data(as_text=True)
    assert 'href="/staff"' in front and 'href="/locations"' not in front and 'href="/admin/settings"' not in front
    # Built once per set of permissions and current page: each user gets theirs, the current entry marked.
    staff_page = client_as("front_desk").get("/staff").get_data(as_text=True)
    assert '<a href="/staff" aria-current="page">Staff</a>' in staff_page and 'href="/locations"' not in staff_page
    admin_staff = admin_client.get("/staff").get_data(as_text=True)
    assert '<a href="/staff" aria-current="page">Staff</a>' in admin_staff and 'href="/locations"' in admin_staff
    # The entry a path is under is kept per path: each page, and a page below an entry, marks its own.
    for path, marked in (("/locations", "/locations"), ("/staff", "/staff"), ("/locations/new", "/locations"),
                         ("/", "/")):
        page = admin_client.get(path).get_data(as_text=True)
        sidenav = page[page.index('<nav class="sidenav"'):]
        sidenav = sidenav[:sidenav.index("</nav>")]
        assert sidenav.count('aria-current="page"') == (1 if marked else 0), path
        if marked:
            assert f'<a href="{marked}" aria-current="page">' in sidenav, path


@pytest.mark.parametrize("field", ["phone", "email"])
def test_inline_edit_of_unknown_staff_is_404(admin_client, field):
    assert admin_client.get(f"/staff/999/{field}/edit").status_code == 404


def test_staff_record_keeps_the_legal_and_the_preferred_name(admin_client, app):
    created = admin_client.post("/staff/new", data=staff_data(first_name="Margarita", middle_name="Ines",
                                                               preferred_name="Rita"))
    assert created.status_code == 302
    member = query(app, lambda: StaffMember.get(StaffMember.last_name == "Ortiz"))
    assert (member.first_name, member.middle_name, member.preferred_name) == ("Margarita", "Ines", "Rita")
    assert member.display_name.startswith("Ortiz, Margarita") and member.known_as == "Rita Ortiz"
    found = admin_client.get("/staff?q=Rita", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ortiz, Margarita" in found
