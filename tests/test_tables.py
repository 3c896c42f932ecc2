"""List pages count only so far past the page shown, and say so, so huge tables stay fast."""
import datetime as dt

from medoffice.models import Patient
from medoffice.web import tables


def _register(count: int) -> None:
    Patient.insert_many([
        {"account_number": f"T{n:06d}", "first_name": "Pat", "last_name": f"Tablerow{n:04d}",
         "date_of_birth": dt.date(1980, 1, 1)} for n in range(count)]).execute()


def test_small_tables_show_the_exact_count(admin_client, db_session):
    _register(30)
    page = admin_client.get("/patients").get_data(as_text=True)
    assert "30 patients" in page and "Page 1 of 2<" in page


def test_large_tables_count_a_step_past_the_page_and_say_there_are_more(admin_client, db_session, monkeypatch):
    monkeypatch.setattr(tables, "COUNT_AHEAD", 20)
    _register(130)
    first = admin_client.get("/patients").get_data(as_text=True)
    assert "40+ patients" in first and "Page 1 of 2+" in first
    # Deep pages stay reachable: the count moves along with the page asked for.
    later = admin_client.get("/patients?page=4").get_data(as_text=True)
    assert "120+ patients" in later and "Page 4 of 5+" in later
    assert "Tablerow0075" in later and "Tablerow0099" in later and "Tablerow0100" not in later
    last = admin_client.get("/patients?page=6").get_data(as_text=True)
    assert "130 patients" in last and "Page 6 of 6<" in last and "Tablerow0129" in last


def test_a_page_past_the_end_shows_the_last_page(admin_client, db_session):
    _register(30)
    page = admin_client.get("/patients?page=99").get_data(as_text=True)
    assert "Page 2 of 2<" in page and "Tablerow0029" in page


def test_a_short_list_shows_its_rows_on_any_page_asked_for(admin_client, db_session):
    _register(3)
    for url in ("/patients", "/patients?page=5"):
        page = admin_client.get(url).get_data(as_text=True)
        assert "3 patients" in page and "Tablerow0002" in page and "Page 1 of" not in page


def test_table_links_keep_the_search_sort_and_fixed_arguments(app):
    from flask import url_for

    with app.test_request_context("/"):
        table = tables.TablePage(id="t", columns=[], rows=[], total=90, page=2, per_page=25, sort="name", desc=True,
                                 query="o'brien & co/é", endpoint="core.patients", endpoint_args={"status": "active"})
        assert table.url() == url_for("core.patients", status="active", q="o'brien & co/é", sort="name", desc=1,
                                      page=2)
        assert table.url(sort="dob", desc=False, page=None) == url_for("core.patients", status="active",
                                                                       q="o'brien & co/é", sort="dob")
        plain = tables.TablePage(id="t", columns=[], rows=[], total=0, page=1, per_page=25, sort="", desc=False,
                                 query="", endpoint="core.patients")
        assert plain.url() == url_for("core.patients")


def test_a_lists_own_count_query_counts_unless_a_search_needs_the_pages_joins(app, db_session):
    _register(30)
    page_rows = Patient.select(Patient.id, Patient.last_name)
    # A count that differs from the page's rows by one, so the figure shows which query was counted.
    kept_rows = Patient.select(Patient.id).where(Patient.last_name != "Tablerow0000")

    def listed(url: str) -> int:
        with app.test_request_context(url):
            table = tables.paginate(
                page_rows, id="t", columns=[tables.TableColumn("name", "Name", sort=Patient.last_name)],
                search=lambda text: Patient.last_name.contains(text), default_sort="name", endpoint="core.patients",
                noun="patient", noun_plural="patients", count_query=kept_rows)
            return table.total

    assert listed("/patients") == 29
    assert listed("/patients?q=Tablerow00") == 30
