"""The CSRF-on test fixtures (medoffice.testing): plugin tests exercise the protection production has."""
from medoffice.testing import CsrfClient, login

CSRF_MESSAGE = "The form expired or was sent from elsewhere"


def test_a_csrf_client_posts_forms_and_htmx_requests_that_production_accepts(make_app):
    app = make_app(plugins=["hello"], csrf=True)
    assert app.config["WTF_CSRF_ENABLED"] is True
    admin = login(app.test_client(), "admin")
    assert isinstance(admin, CsrfClient)
    assert admin.post("/hello/", data={"message": "Morning, team"}).status_code == 302
    assert admin.post("/hello/", data={"message": "Afternoon"}, headers={"HX-Request": "true"}).status_code == 302
    page = admin.get("/hello/").get_data(as_text=True)
    assert "Morning, team" in page and "Afternoon" in page


def test_a_request_without_the_token_is_still_refused(make_app):
    app = make_app(plugins=["hello"], csrf=True)
    admin = login(app.test_client(), "admin")
    forged = admin.post("/hello/", data={"message": "x", "csrf_token": "forged"})
    assert forged.status_code == 400 and CSRF_MESSAGE in forged.get_data(as_text=True)
    plain = login(_plain_client(app), "admin")
    bare = plain.post("/hello/", data={"message": "x"})
    assert bare.status_code == 400 and CSRF_MESSAGE in bare.get_data(as_text=True)
    assert "No greetings yet" in admin.get("/hello/").get_data(as_text=True)


def _plain_client(app):
    from flask.testing import FlaskClient

    return FlaskClient(app, app.response_class, use_cookies=True)


def test_login_works_with_csrf_on_for_a_plain_client_too(make_app):
    app = make_app(plugins=["hello"], WTF_CSRF_ENABLED=True)
    client = login(_plain_client(app), "front_desk")
    assert client.get("/hello/").status_code == 200


def test_csrf_client_as_fixture(csrf_client_as):
    billing = csrf_client_as("billing")
    assert billing.post("/logout").status_code == 302
    assert billing.get("/").status_code == 302  # signed out: the POST got past CSRF
