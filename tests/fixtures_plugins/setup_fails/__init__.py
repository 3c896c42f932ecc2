"""setup_fails: imports fine, then raises while the app is set up."""
from medoffice import PluginInfo, hookimpl

PLUGIN = PluginInfo("setup_fails", "Setup fails", description="Needs a licence file.")


@hookimpl
def medoffice_setup_app(app):
    raise RuntimeError("licence file /etc/vendor.lic is missing")
