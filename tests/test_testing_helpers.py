"""Testing helpers a plugin author uses: a connection for an app holding only their plugin, and
turning the plugin off and on inside a test."""
from medoffice.db import db
from medoffice.models import User
from medoffice.testing import TEST_PASSWORD, connected, create_test_user, login, set_plugin_enabled


def test_connected_works_with_an_app_holding_only_the_plugin_under_test(make_app):
    app = make_app(plugins=["hello"])
    name = create_test_user(app, ("front_desk",))
    with connected(app):
        assert User.get(User.username == name).full_name == f"Test {name.title()}"
        with connected(app):  # nested: the outer connection stays open
            pass
        assert not db.is_closed()
    assert db.is_closed()
    client = app.test_client()
    assert client.post("/login", data={"username": name, "password": TEST_PASSWORD}).status_code == 302


def test_set_plugin_enabled_takes_the_plugin_away_and_brings_it_back(make_app):
    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    assert admin.get("/hello/").status_code == 200
    assert set_plugin_enabled(app, "hello", False) == []
    assert admin.get("/hello/").status_code == 404
    assert set_plugin_enabled(app, "hello") == ["hello"]
    assert admin.get("/hello/").status_code == 200
