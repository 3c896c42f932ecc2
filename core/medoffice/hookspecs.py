"""Every hook core calls, grouped by phase. Plugins implement any subset.

A hookimpl may accept any subset of a spec's arguments (pluggy passes only what it names).
Hooks that return lists are called on every *enabled* plugin and the lists are concatenated;
a disabled plugin's contributions disappear at once, with no restart. Each spec is documented
in docs/plugins.md (a test fails when one is missing there).
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("medoffice")


# --- Loading: called once per process while plugins are registered ----------------------

@hookspec(historic=True)
def medoffice_add_hookspecs(pm):
    """Publish hookspecs of your own for other plugins, e.g. ``pm.add_hookspecs(my_specs)``.

    :param pm: the pluggy PluginManager.
    Called when the plugin is registered (historic), before ``check_pending``.
    """


@hookspec
def medoffice_models():
    """Return the peewee model classes this plugin owns.

    Table names must start with the plugin name and an underscore (``billing_claim``).
    Used for the migration contract test, duplicate checks and ``medoffice doctor``.
    :return: list of ``medoffice.db.BaseModel`` subclasses.
    """


@hookspec
def medoffice_blueprints():
    """Return the Flask blueprints of this plugin.

    Each blueprint is registered once when the app is built and is gated per request on the
    plugin's enabled state (a disabled plugin's routes answer 404). Name them after the plugin.
    :return: list of ``flask.Blueprint``.
    """


# --- Application lifecycle ---------------------------------------------------------------

@hookspec
def medoffice_setup_app(app):
    """Final per-app setup (template filters, context processors, extra config).

    :param app: the Flask app being built. Called once per app, after blueprints are registered,
        for every installed plugin that loaded, enabled or not. Raising marks the plugin failed:
        it is shown with its error on the admin plugins page and the server keeps running.
    """


@hookspec
def medoffice_preload():
    """Load now what the first request would otherwise wait for (a code set parsed, a search index built).

    Called once by ``medoffice serve`` on the enabled plugins, before it forks its worker processes, so
    they share one copy and no user waits for it. Keep it to what pages use; return nothing.
    """


@hookspec
def medoffice_plugin_enabled(name):
    """Called after plugin ``name`` was enabled (its migrations already applied).

    :param name: the plugin that was enabled; called on every enabled plugin, including it.
    """


@hookspec
def medoffice_plugin_disabled(name):
    """Called after plugin ``name`` was disabled. Data is never deleted on disable.

    :param name: the plugin that was disabled; called on the remaining enabled plugins and it.
    """


# --- Access control ------------------------------------------------------------------------

@hookspec
def medoffice_permissions():
    """Declare permissions, each named ``<plugin>.<what>`` with its default roles.

    Seeded roles: admin, office_manager, billing, front_desk, hr, auditor. The admin role
    holds every permission. A route without a declared permission is a contract failure.
    :return: list of ``Permission``.
    """


# --- The web shell ---------------------------------------------------------------------------

@hookspec
def medoffice_nav_items():
    """Return navigation entries; core groups them and hides those the user may not use.

    Called again only when the set of enabled plugins changes: return the same items each time.

    :return: list of ``NavItem``.
    """


@hookspec
def medoffice_widgets():
    """Return dashboard widgets; each endpoint returns an HTML fragment loaded lazily.

    :return: list of ``Widget``.
    """


@hookspec
def medoffice_work_items(user, today):
    """Return what needs doing now for the Today queue, across every enabled plugin.

    :param user: the logged-in user (skip costly queries unless ``user.has_permission(p)``).
    :param today: the practice's local date.
    :return: list of ``WorkItem``; core drops items whose permission the user lacks.
        Use SQL counts, not per-row Python loops: this runs on every dashboard view.
    """


@hookspec
def medoffice_patient_panels():
    """Return panels shown on a patient's page (coverage, balance, recalls...).

    :return: list of ``Widget`` whose endpoint accepts ``patient_id`` and returns a fragment.
    """


@hookspec
def medoffice_settings():
    """Declare practice-level settings this plugin owns (edited on the settings page).

    Called again only when the set of enabled plugins changes: return the same specs each time.

    :return: list of ``SettingSpec`` named ``<plugin>.<what>``.
    """


# --- Durable events (medoffice.events) ---------------------------------------------------------

@hookspec
def medoffice_event_types():
    """Declare the event types this plugin publishes with ``medoffice.events.publish``.

    Called on every loaded plugin, enabled or not (a disabled publisher's events still decode).
    :return: list of ``medoffice.events.EventType(name, version, fields)``, named ``<plugin>.<what>``.
    """


@hookspec
def medoffice_event_subscriptions():
    """Declare what this plugin consumes: each subscription's handler gets every event of its names,
    in commit order, at least once, in a transaction that also moves its cursor.

    :return: list of ``medoffice.events.Subscription(name, events, handler, start="beginning")``.
    """


@hookspec
def medoffice_data_versions():
    """Declare counters the database bumps on any change to some of this plugin's tables, so a page
    keeps figures computed from them per process (``medoffice.data_versions.kept``) and still sees
    any change, by any process, on its next request.

    :return: list of ``medoffice.data_versions.DataVersion(key, models)``, keys ``<plugin>.<what>``.
    """


# --- Deadlines (medoffice.deadlines) -----------------------------------------------------------

@hookspec
def medoffice_deadline_kinds():
    """Declare the kinds of deadline this plugin tracks with ``medoffice.deadlines.upsert``: their
    default lead times, escalation role and delay, the evidence that closes one, who may see them.

    Called on every loaded plugin, enabled or not (a disabled owner's deadlines keep their kind's title).
    :return: list of ``medoffice.deadlines.DeadlineKind``, named ``<plugin>.<what>``.
    """



# --- Files (medoffice.files) -------------------------------------------------------------------

@hookspec
def medoffice_attachment_kinds():
    """Declare the kinds of file this plugin attaches to its objects with ``medoffice.files`` (the
    widget or ``files.attach``): accepted types, size limit, whether they concern a patient, and the
    view and manage permissions core checks.

    Called on every loaded plugin, enabled or not (a disabled owner's files keep their kind).
    :return: list of ``medoffice.files.AttachmentKind``, named ``<plugin>.<what>``.
    """


# --- Documents (medoffice.documents) ----------------------------------------------------------

@hookspec
def medoffice_document_kinds():
    """Declare the kinds of document this plugin keeps with ``medoffice.documents`` (the employee
    manual, a privacy policy, a patient handout): who may read and who may manage them, and whether
    a published version asks its audience for an acknowledgment by default.

    Called on every loaded plugin, enabled or not (a disabled owner's documents keep their kind's title).
    :return: list of ``medoffice.documents.DocumentKind``, named ``<plugin>.<what>``.
    """


# --- Work that runs without a browser --------------------------------------------------------

@hookspec
def medoffice_jobs():
    """Return scheduled jobs; each run is recorded and a failure raises a Today item.

    :return: list of ``JobSpec`` with ids named ``<plugin>.<what>``.
    """


@hookspec
def medoffice_reports():
    """Return reports; core renders parameters, table, CSV, PDF, print and charts.

    :return: list of ``ReportSpec`` with ids named ``<plugin>.<what>``.
    """


@hookspec
def medoffice_cli_commands():
    """Return click commands or groups, mounted as ``medoffice <command>``.

    Name a group after the plugin (``medoffice billing ...``). Commands run inside an app
    context with the database connected.
    :return: list of ``click.Command``.
    """


@hookspec
def medoffice_demo_data(ctx):
    """Create demo data for this plugin. Called in plugin dependency order.

    :param ctx: ``DemoContext`` with ``size`` ("small" or "large"), a seeded ``rng`` and ``today``.
        Large sets must use bulk inserts (``insert_many`` in batches), not row-by-row saves.
    """


@hookspec
def medoffice_doctor_checks():
    """Return integrity checks for ``medoffice doctor`` (non-zero exit if any fails).

    :return: list of ``CheckResult``.
    """


# --- Messages (medoffice.messages) ---------------------------------------------------------------

@hookspec
def medoffice_message_channels():
    """Return channels that deliver messages (a texting service...), subclasses of
    ``medoffice.messages.AutomaticChannel`` or ``PrintedChannel``, named ``<plugin>.<what>``.

    Every message on them goes through the same gate as core's e-mail and letters (consent for the
    channel's ``consent_channel``, quiet hours, minimum necessary).
    :return: list of channel instances.
    """


@hookspec
def medoffice_message_templates():
    """Declare the messages this plugin sends: ``medoffice.messages.MessageTemplate`` with a purpose,
    the named fields it may use (clinical ones marked) and its default wording in markdown.

    :return: list of ``MessageTemplate`` with keys named ``<plugin>.<what>``.
    """
