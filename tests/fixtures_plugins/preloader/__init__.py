"""preloader: loads a (pretend) code set when ``medoffice serve`` asks (``medoffice_preload``)."""
from medoffice import PluginInfo, hookimpl

PLUGIN = PluginInfo("preloader", "Preloader", description="Has serve load its code set before the workers start.")
loaded: list[str] = []  # what each call loaded, in order


@hookimpl
def medoffice_preload():
    loaded.append("code set")
