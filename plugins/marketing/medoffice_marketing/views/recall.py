"""Recall and reactivation: rules, who is due now, the lists kept, sending and outcomes."""
from __future__ import annotations

from functools import cache

from flask import abort, redirect, render_template, request, url_for
from medoffice import audit, prepared
from medoffice.auth import can, requires
from medoffice.data_versions import PATIENTS_KEY
from medoffice.db import is_sqlite
from medoffice.models import Patient
from medoffice.patients import load_record_for_display, record_shown
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.settings import today
from medoffice.web.forms import form_values, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN, SQL

from .. import recall
from ..models import LAST_VISITS, RECALL, RecallEntry, RecallList, RecallRule
from . import bp
from .common import form_page, username
from .forms import OutcomeForm, RuleForm, SendForm


def _crumbs():
    return [("Recall lists", url_for("marketing.recall_rules"))]


# The rules and the latest kept lists, compiled once (peewee built both statements on every view).
_RULES = RecallRule.select().order_by(RecallRule.active.desc(), RecallRule.name)
_LISTS = (RecallList.select(RecallList, RecallRule).join(RecallRule)
          .order_by(RecallList.as_of.desc(), RecallList.id.desc()).limit(30))


@bp.route("/recall")
@requires("marketing.view")
def recall_rules():
    """The rules, and the lists kept with their conversion."""
    rules = list(prepared.run(_RULES, "marketing.recall_rules"))
    lists = list(prepared.run(_LISTS, "marketing.recall_lists"))
    return render_page("marketing/recall_rules.html", title="Recall and reactivation", rules=rules, lists=lists,
                       conversion={lst.id: recall.figures(lst) or {} for lst in lists}, kinds=recall.KINDS,
                       breadcrumbs=[("Recall lists", None)])


def _save_rule(form, rule=None):
    try:
        return recall.save_rule(form_values(form), rule)
    except recall.RecallError as exc:
        form.interval_months.errors.append(str(exc))
        return None


@bp.route("/recall/rules/new", methods=["GET", "POST"])
@requires("marketing.edit")
def recall_rule_new():
    """Add a recall or reactivation rule."""
    form = RuleForm()
    if form.validate_on_submit() and _save_rule(form):
        notify("Added the rule.")
        return redirect(url_for("marketing.recall_rules"))
    return form_page(form, "New recall rule", _crumbs(), cancel=url_for("marketing.recall_rules"))


_RULE = RecallRule.select().where(RecallRule.id == slot("id"))


def _rule_or_none(rule_id: int) -> RecallRule | None:
    return next(iter(prepared.run(_RULE, "marketing.recall_rule", id=rule_id)), None)


def _rule(rule_id: int) -> RecallRule:
    return _rule_or_none(rule_id) or abort(404)


@bp.route("/recall/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@requires("marketing.edit")
def recall_rule_edit(rule_id: int):
    """Change a rule (lists already kept keep their patients)."""
    rule = _rule(rule_id)
    form = RuleForm(obj=rule)
    if form.validate_on_submit() and _save_rule(form, rule):
        notify("Saved the rule.")
        return redirect(url_for("marketing.recall_rules"))
    return form_page(form, f"Edit {rule.name}", _crumbs(), cancel=url_for("marketing.recall_rules"))


@bp.route("/recall/rules/<int:rule_id>")
@requires("marketing.view")
def recall_due(rule_id: int):
    """Who the rule finds due today (computed in SQL from visits); keep them as a list to work."""
    rule = kept_part((RECALL.key,), ("recall rule", rule_id), lambda: _rule_or_none(rule_id)) or abort(404)
    query, key, values, counted = recall.due_page(rule, today())
    patient_link = url_template("core.patient", "patient_id")
    table = paginate(
        query, id="due-table",
        columns=[TableColumn("name", "Patient", sort=Patient.last_name, value=lambda p: f"{p.last_name}, {p.first_name}",
                             link=lambda p: patient_link(p.id)),
                 TableColumn("account_number", "Account", sort=Patient.account_number),
                 TableColumn("last_visit_on", "Last visit", kind="date", value=lambda p: recall.as_date(p.last_visit_on)),
                 TableColumn("due", "Due", kind="date", value=lambda p: recall.due_on(rule, p.last_visit_on)),
                 TableColumn("preferred_contact", "Prefers", sort=Patient.preferred_contact)],
        search=lambda text: (Patient.last_name ** f"{text}%") | (Patient.account_number ** f"{text}%"),
        default_sort="name", endpoint="marketing.recall_due", endpoint_args={"rule_id": rule.id}, key=key,
        values=values, count_query=counted, noun="patient", noun_plural="patients",
        search_placeholder="Last name or account", empty_message="Nobody is due under this rule today.",
        kept_by=(RECALL.key, LAST_VISITS.key, PATIENTS_KEY), kept_with=(rule.id, today()))
    audit.record_list("marketing.recall_due.list", (p.id for p in table.rows))
    editor, anyone_due = can("marketing.edit"), bool(table.rows)
    head = kept_part((RECALL.key,), ("due head", rule.id, editor, anyone_due),
                     lambda: slotted(render_template("marketing/_recall_due_head.html", rule=rule, kinds=recall.KINDS,
                                                     editor=editor, anyone_due=anyone_due)))
    return render_page("marketing/recall_due.html", title=rule.name, head=with_csrf_token(head), table=table,
                       breadcrumbs=[*_crumbs(), (rule.name, None)])


@bp.route("/recall/rules/<int:rule_id>/lists", methods=["POST"])
@requires("marketing.edit")
def recall_list_create(rule_id: int):
    """Keep today's due patients as a list."""
    rule = _rule(rule_id)
    kept = recall.create_list(rule, today(), username())
    notify("Kept today's list.")
    return redirect(url_for("marketing.recall_list", list_id=kept.id))


_LIST = RecallList.select(RecallList, RecallRule).join(RecallRule).where(RecallList.id == slot("id"))


def _list_or_none(list_id: int) -> RecallList | None:
    return next(iter(prepared.run(_LIST, "marketing.recall_list", id=list_id)), None)


def _list(list_id: int) -> RecallList:
    return _list_or_none(list_id) or abort(404)


@cache
def _entries_query(walk: bool):
    """A kept list's entries with their patient's name; ``walk``: SQLite walks the patients by name and looks
    each one up on the list (CROSS JOIN fixes the order), which stops after a page, instead of sorting the
    whole list."""
    # Rows as plain named tuples of one class (plain_select), not models: peewee's models or namedtuples()
    # cost a converter per value, and namedtuples() a new tuple class per run.
    entries = PlainSelect(Patient, [RecallEntry.id, RecallEntry.patient.alias("patient_id"), RecallEntry.due_on,
                           RecallEntry.contact, RecallEntry.contact_note, RecallEntry.outcome, Patient.first_name,
                           Patient.last_name])
    mine = RecallEntry.recall_list == slot("list")
    if not walk:
        return entries.join(RecallEntry, on=(RecallEntry.patient == Patient.id)).where(mine)
    return entries.join(RecallEntry, JOIN.CROSS).where((RecallEntry.patient == Patient.id) & mine)


# What a list counts unless searched: its entries alone, from their list's index (each names a patient), not
# joined to the patients (0.32 to 0.06 ms for the large demo's list of 12,003).
_ENTRIES_COUNTED = RecallEntry.select(SQL("1")).where(RecallEntry.recall_list == slot("list"))


@bp.route("/recall/lists/<int:list_id>")
@requires("marketing.view")
def recall_list(list_id: int):
    """A kept list: each patient, what was sent, the outcome; the list's conversion."""
    kept = kept_part((RECALL.key,), ("recall list", list_id), lambda: _list_or_none(list_id)) or abort(404)
    outcome_link = url_template("marketing.recall_outcome", "entry_id")
    patient_link = url_template("core.patient", "patient_id")
    # Walking the patients pays for a long list in name order; a search (no index serves LIKE) walks them all.
    walk = (is_sqlite() and kept.patients >= recall.DENSE_LIST and request.args.get("sort", "name") == "name"
            and not (request.args.get("q") or "").strip())
    table = paginate(
        _entries_query(walk), id="entries-table", per_page=50, key=("marketing.recall_entries", walk),
        values={"list": kept.id},
        columns=[TableColumn("name", "Patient", sort=Patient.last_name,
                             value=lambda e: f"{e.last_name}, {e.first_name}",
                             link=lambda e: patient_link(e.patient_id)),
                 TableColumn("due_on", "Due", sort=RecallEntry.due_on, kind="date",
                             value=lambda e: recall.as_date(e.due_on)),
                 TableColumn("contact", "Contact", sort=RecallEntry.contact, kind="status"),
                 TableColumn("contact_note", "Note"),
                 TableColumn("outcome", "Outcome", sort=RecallEntry.outcome,
                             value=lambda e: recall.OUTCOMES.get(e.outcome, "Record the outcome"),
                             link=lambda e: outcome_link(e.id))],
        search=lambda text: (Patient.last_name ** f"{text}%") | (Patient.account_number ** f"{text}%"),
        default_sort="name", endpoint="marketing.recall_list", endpoint_args={"list_id": kept.id},
        kept_by=(RECALL.key, PATIENTS_KEY), count_query=_ENTRIES_COUNTED, noun="patient", noun_plural="patients", search_placeholder="Last name or account")
    record_shown("marketing.recall_list.view", kept, (e.patient_id for e in table.rows))
    return render_page("marketing/recall_list.html", title=f"{kept.rule.name}, {kept.as_of.isoformat()}",
                       head=with_csrf_token(kept_part((RECALL.key,), ("recall list head", kept.id, can("marketing.edit")),
                                                      lambda: _list_head(kept))),
                       table=table, breadcrumbs=[*_crumbs(), (f"List of {kept.as_of.isoformat()}", None)])


def _list_head(kept: RecallList) -> str:
    """The list's page above its table (its rule and day, its figures, the send form for who may send), its CSRF
    token left as a slot."""
    return slotted(render_template("marketing/_recall_list_head.html", kept=kept, figures=recall.figures(kept),
                                   send_form=SendForm(formdata=None)))


@bp.route("/recall/lists/<int:list_id>/send", methods=["POST"])
@requires("marketing.edit")
def recall_send(list_id: int):
    """Send the list's message to everyone not yet contacted, through the consent gate."""
    kept = _list(list_id)
    form = SendForm()
    if not form.validate_on_submit():
        abort(400)
    counts = recall.send(kept, form.channel.data, username())
    notify(f"{counts['queued']} queued, {counts['refused']} refused by the consent gate (reasons on the list), "
           f"{counts['call']} to call, {counts['do_not_contact']} asked not to be contacted.")
    return redirect(url_for("marketing.recall_list", list_id=kept.id))


@bp.route("/recall/entries/<int:entry_id>/outcome", methods=["GET", "POST"])
@requires("marketing.edit")
def recall_outcome(entry_id: int):
    """Record what came of one patient on a list."""
    entry, patient = load_record_for_display(RecallEntry, entry_id, "marketing.recall_entry.view")
    form = OutcomeForm(obj=entry)
    if form.validate_on_submit():
        recall.set_outcome(entry, form.outcome.data, today())
        notify("Saved the outcome.")
        return redirect(url_for("marketing.recall_list", list_id=entry.recall_list_id))
    return form_page(form, f"Outcome for {patient.display_name}",
                     [*_crumbs(), ("List", url_for("marketing.recall_list", list_id=entry.recall_list_id))],
                     cancel=url_for("marketing.recall_list", list_id=entry.recall_list_id),
                     intro=f"Due {entry.due_on.isoformat()}; contact: {entry.contact or 'not yet'}.")
