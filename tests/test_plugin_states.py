"""A plugin installed into a running practice waits, "installed, not enabled", until the office
turns it on on the modules page; the page and `plugins list` say so."""
import json

from click.testing import CliRunner

from fixtures_plugins import write_instance_config
from medoffice.cli import main as cli
from medoffice.testing import csrf_token, login, reads_of, set_plugin_enabled


def test_a_plugin_installed_after_first_boot_waits_on_the_modules_page_until_turned_on(make_app):
    app = make_app(plugins=["hello"], enabled=[])  # first boot without hello: as if installed later
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/plugins").get_data(as_text=True)
    assert "1 installed module not enabled yet:</strong> Hello." in page
    row = page.split('id="plugin-hello"')[1].split("</tr>")[0]
    assert "Installed, not enabled" in row and "Never turned on" in row and "Turn on" in row
    assert admin.get("/hello/").status_code == 404  # nothing of it shows before then
    assert not reads_of(admin, "/admin/plugins", ("core_plugin_state",))  # kept until a module is turned on or off
    # the kept table's forms carry each session's own CSRF token (its first part names the session's token; the
    # rest is a timestamp and signature, minted anew each second)
    other = login(app.test_client(), "admin")
    own = csrf_token(other).split(".")[0]
    assert f'value="{own}.' in other.get("/admin/plugins").get_data(as_text=True)
    assert own != csrf_token(admin).split(".")[0]

    assert admin.post("/admin/plugins/hello/enable").status_code == 302
    page = admin.get("/admin/plugins").get_data(as_text=True)
    assert "not enabled yet" not in page and "Installed, not enabled" not in page
    assert admin.get("/hello/").status_code == 200

    set_plugin_enabled(app, "hello", False)  # turned off by someone: "Off", not "waiting"
    row = admin.get("/admin/plugins").get_data(as_text=True).split('id="plugin-hello"')[1].split("</tr>")[0]
    assert ">Off<" in row and "Installed, not enabled" not in row


def test_plugins_list_tells_not_enabled_from_turned_off(make_app):
    app = make_app(plugins=["hello"], enabled=[])
    instance = write_instance_config(app)
    runner = CliRunner()

    def listing():
        out = runner.invoke(cli, ["--instance", str(instance), "plugins", "list"])
        assert out.exit_code == 0, out.output
        data = runner.invoke(cli, ["--instance", str(instance), "plugins", "list", "--json"])
        return out.output, {r["name"]: r["state"] for r in json.loads(data.output)}

    text, states = listing()
    assert (states["core"], states["hello"]) == ("enabled", "not_enabled")
    assert [line.split()[:4] for line in text.splitlines() if line.startswith("hello")] == \
        [["hello", "installed,", "not", "enabled"]]
    assert runner.invoke(cli, ["--instance", str(instance), "plugins", "enable", "hello"]).exit_code == 0
    assert listing()[1]["hello"] == "enabled"
    assert runner.invoke(cli, ["--instance", str(instance), "plugins", "disable", "hello"]).exit_code == 0
    text, states = listing()
    assert states["hello"] == "disabled"
    assert [line.split()[:2] for line in text.splitlines() if line.startswith("hello")] == [["hello", "off"]]
