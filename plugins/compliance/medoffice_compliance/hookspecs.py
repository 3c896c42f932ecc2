"""Hooks compliance publishes for other plugins (see ``medoffice_add_hookspecs`` in plugin.py).

A plugin implements one without importing this package: a function with the same name, decorated
``@hookimpl(optionalhook=True)`` so it still loads when compliance is absent.
"""
from medoffice.hookspecs import hookspec


@hookspec
def compliance_training_completions(since):
    """Return HIPAA training completions another module keeps (HR's training records), on or after
    ``since`` (a ``datetime.date``), as ``(staff_id, course, completed_on)`` tuples of plain values;
    compliance counts them with its own log when it says who is overdue."""
