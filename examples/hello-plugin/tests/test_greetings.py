"""hello's own behaviour, with CSRF protection on as in production (the CsrfClient sends the token)."""
from medoffice.testing import login


def test_leaving_a_greeting(make_app):
    app = make_app(plugins=["hello"], csrf=True)
    admin = login(app.test_client(), "admin")
    assert admin.post("/hello/", data={"message": "Good morning!"}).status_code == 302
    assert "Good morning!" in admin.get("/hello/").get_data(as_text=True)
    assert admin.post("/hello/", data={"message": ""}).status_code == 422


def test_reading_needs_the_permission(make_app):
    app = make_app(plugins=["hello"], csrf=True)
    assert login(app.test_client(), "auditor").get("/hello/").status_code == 403


def test_the_list_pages_searches_and_sorts_in_a_fixed_number_of_statements(make_app):
    """The list's query is compiled once per sort: a page, its count and a search read the same greetings as
    before, each time shown in the practice's time zone, and a page costs the same statements however many
    greetings there are."""
    import datetime as dt

    from medoffice import settings
    from medoffice.testing import connected, count_queries

    from medoffice_hello.models import Greeting

    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    start = dt.datetime(2026, 3, 1, 14, 5, tzinfo=dt.timezone.utc)
    with connected(app):
        settings.set_many({"core.timezone": "America/Los_Angeles"})
        for n in range(30):
            Greeting.create(message=f"Hi {n:02d}" if n % 2 else f"Hello <{n:02d}>", created_at=start + dt.timedelta(days=n))
    page = admin.get("/hello/").get_data(as_text=True)
    assert "30 greetings" in page and "<td>2026-03-01 06:05</td><td>Hello &lt;00&gt;</td>" in page
    assert "Hi 29" not in page and "Hi 29" in admin.get("/hello/?page=2").get_data(as_text=True)
    assert "<td>2026-03-30 07:05</td><td>Hi 29</td>" in admin.get("/hello/?sort=created_at&desc=1").get_data(as_text=True)
    found = admin.get("/hello/?q=Hi").get_data(as_text=True)
    assert "15 greetings" in found and "Hello" not in found.split("greetings-table-results")[1]
    with count_queries() as few:
        admin.get("/hello/?sort=message")
    with connected(app):
        Greeting.insert_many([{"message": f"More {n}", "created_at": start} for n in range(40)]).execute()
    with count_queries() as more:
        assert "70 greetings" in admin.get("/hello/?sort=message").get_data(as_text=True)
    assert len(more) == len(few)
