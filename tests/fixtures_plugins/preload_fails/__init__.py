"""preload_fails: its ``medoffice_preload`` raises (a data file missing, say)."""
from medoffice import PluginInfo, hookimpl

PLUGIN = PluginInfo("preload_fails", "Preload fails", description="Cannot load its data at start.")


@hookimpl
def medoffice_preload():
    raise FileNotFoundError("drugs.txt is missing")
