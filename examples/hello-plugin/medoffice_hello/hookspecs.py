"""Hooks this plugin publishes for other plugins (see ``medoffice_add_hookspecs`` in plugin.py).

Another plugin implements one without importing this package: it defines a function with the
same name, decorated ``@hookimpl(optionalhook=True)`` so it still loads when hello is absent.
"""
from medoffice.hookspecs import hookspec


@hookspec
def hello_greeting_added(greeting_id, message):
    """Called after a greeting was saved, on every enabled plugin that implements it.

    :param greeting_id: the new ``hello_greeting`` row's id.
    :param message: its text.
    """
