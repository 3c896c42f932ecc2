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


@hookspec
def compliance_training_versions():
    """Return the data versions (``medoffice.data_versions`` keys, ``"hr.training"``) that cover every table
    this plugin's ``compliance_training_completions`` answer is read from: compliance keeps who is overdue until
    one of them (or its own log, or the staff list) moves. A plugin answering completions without naming its
    versions has them read on every view."""
