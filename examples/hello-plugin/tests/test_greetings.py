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
