"""listener: implements hello's published hook, optionally, so it loads without hello too."""
from medoffice import PluginInfo, hookimpl

PLUGIN = PluginInfo("listener", "Listener")
heard: list[tuple[int, str]] = []


@hookimpl(optionalhook=True)
def hello_greeting_added(greeting_id, message):
    heard.append((greeting_id, message))
