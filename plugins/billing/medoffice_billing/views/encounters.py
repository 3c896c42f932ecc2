"""Charge entry: the encounter list, the encounter page with inline diagnoses and service lines (htmx)."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.data_versions import PATIENTS_KEY
from medoffice.models import Location, Patient, StaffMember
from medoffice.money import format_cents
from medoffice.patients import load_for_display
from medoffice.plain import PlainSelect
from medoffice.settings import today
from medoffice.web.forms import choices
from medoffice.web.query import record_id
from medoffice.web.shell import notify, render_page, wants_fragment
from medoffice.prepared import slot
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import fn
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from .. import encounters as charges
from .. import favorites, icd10
from ..claims import STATE_LABELS, ClaimError, create_claim
from ..coverage import RANKS, in_force
from ..ledger import id_slots
from ..models import ENCOUNTERS, Claim, CodeEntry, Encounter, Payer, ServiceLine
from ..reference import PLACES_OF_SERVICE, default_charge_cents, display_icd10, procedure_code_is_valid_format
from . import bp
from .fields import ModifiersField, MoneyField, PointersField, row_input
from .ledger import attach_patients, audit_list, needs_patient_join

ENCOUNTER_STATUSES = {"open": "Open", "posted": "Posted"}


class EncounterForm(FlaskForm):
    """The encounter header: date, place, providers, location, prior authorization."""

    service_date = DateField("Date of service", validators=[DataRequired(message="Enter the date (YYYY-MM-DD).")])
    place_of_service = SelectField("Place of service", choices=choices((k, f"{k} {v}") for k, v in PLACES_OF_SERVICE.items()),
                                   default="11")
    location_id = SelectField("Location", coerce=int, default=0)
    rendering_provider_id = SelectField("Rendering provider", coerce=int, default=0,
                                        validators=[DataRequired(message="Choose the provider who saw the patient.")])
    referring_provider_id = SelectField("Referring provider", coerce=int, default=0)
    prior_authorization = StringField("Prior authorization", validators=[Optional(), Length(max=50)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])

    def validate_service_date(self, field):
        """Charges are entered for visits that happened."""
        if field.data and field.data > today():
            raise ValidationError("The date of service cannot be in the future.")


class NewEncounterForm(EncounterForm):
    """A new encounter also names the patient by account number."""

    account_number = StringField("Patient account number", validators=[DataRequired(), Length(max=20)],
                                 filters=[lambda v: (v or "").strip().upper()])

    def validate_account_number(self, field):
        """The patient must exist."""
        if not Patient.select().where(Patient.account_number == field.data).exists():
            raise ValidationError("No patient has that account number.")


class DiagnosisForm(FlaskForm):
    """Add one ICD-10-CM code."""

    code = StringField("ICD-10-CM code", validators=[DataRequired(message="Enter a code such as E11.9.")])


class LineForm(FlaskForm):
    """A service line; rows use a per-line prefix so every input id is unique."""

    code = StringField("Code", validators=[DataRequired(message="Enter the procedure code.")],
                       filters=[lambda v: (v or "").strip().upper()])
    modifiers = ModifiersField("Modifiers")
    units = IntegerField("Units", default=1, validators=[DataRequired(message="Enter the units."),
                                                         NumberRange(1, charges.MAX_UNITS)])
    charge = MoneyField("Charge", validators=[Optional()])
    pointers = PointersField("Diagnosis pointers", default=[1],
                             validators=[DataRequired(message="Point the line at a diagnosis, such as 1.")])

    def validate_code(self, field):
        """CPT or HCPCS shape."""
        if field.data and not procedure_code_is_valid_format(field.data):
            raise ValidationError(f"{field.data} is not a CPT or HCPCS code.")

    def values(self) -> dict:
        """The cleaned values for ``encounters.add_line``/``update_line``."""
        return {"code": self.code.data, "modifiers": self.modifiers.data, "units": self.units.data,
                "charge_cents": self.charge.data, "pointers": self.pointers.data}


def _with_options(form: EncounterForm) -> EncounterForm:
    providers = StaffMember.select().where((StaffMember.is_provider == True) & (StaffMember.active == True))  # noqa: E712
    people = [(s.id, s.display_name) for s in providers.order_by(StaffMember.last_name, StaffMember.first_name)]
    form.rendering_provider_id.choices = choices([(0, "Choose a provider")] + people)
    form.referring_provider_id.choices = choices([(0, "None")] + people)
    locations = Location.select().where(Location.active == True).order_by(Location.name)  # noqa: E712
    form.location_id.choices = choices([(0, "None")] + [(l.id, l.name) for l in locations])
    return form


def _header_values(form: EncounterForm) -> dict:
    return {"service_date": form.service_date.data, "place_of_service": form.place_of_service.data,
            "location_id": form.location_id.data or None, "rendering_provider_id": form.rendering_provider_id.data or None,
            "referring_provider_id": form.referring_provider_id.data or None,
            "prior_authorization": (form.prior_authorization.data or "").strip(), "notes": (form.notes.data or "").strip()}


def _encounter(encounter_id: int) -> Encounter:
    return Encounter.get_or_none(Encounter.id == encounter_id) or abort(404)


# --- The list -----------------------------------------------------------------------------------

@bp.route("/encounters")
@requires("billing.view")
def encounters():
    """Encounters, newest first, filtered by status and searchable by patient."""
    if "sort" not in request.args:  # newest first unless the user chose an order
        return redirect(url_for("billing.encounters", **{**request.args.to_dict(), "sort": "service_date", "desc": 1}))
    status = request.args.get("status", "")
    query = PlainSelect(Encounter, [Encounter.id, Encounter.patient_id, Encounter.service_date,
                                    Encounter.place_of_service, Encounter.status])
    joined = needs_patient_join("patient")
    if joined:
        query = query.join(Patient, on=(Encounter.patient_id == Patient.id))
    filtered = status in ENCOUNTER_STATUSES
    if filtered:
        query = query.where(Encounter.status == slot("status"))
    encounter_url = url_template("billing.encounter", "encounter_id")

    def search(text):
        like = f"%{text}%"
        return (Patient.last_name ** like) | (Patient.first_name ** like) | (Patient.account_number ** like)

    table = paginate(
        query, id="encounters-table",
        columns=[
            TableColumn("service_date", "Date", sort=Encounter.service_date,
                        link=lambda e: encounter_url(e.id)),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda e: f"{e.patient.last_name}, {e.patient.first_name} ({e.patient.account_number})"),
            TableColumn("place", "Place", value=lambda e: PLACES_OF_SERVICE.get(e.place_of_service, e.place_of_service)),
            TableColumn("status", "Status", sort=Encounter.status, value=lambda e: ENCOUNTER_STATUSES.get(e.status, e.status)),
            TableColumn("total", "Charges", numeric=True, value=lambda e: format_cents(e.charges_cents)),
        ],
        search=search, default_sort="service_date", endpoint="billing.encounters",
        endpoint_args={"status": status} if status else {}, noun="encounter", noun_plural="encounters",
        search_placeholder="Patient name or account",
        empty_message="No encounters yet. Start charge entry for a visit.",
        key=("billing.encounters", filtered, joined), values={"status": status},
        kept_by=(ENCOUNTERS.key, PATIENTS_KEY), attach=_attach_patients_and_charges,
    )
    audit_list("billing.encounters.list", table.rows, status=status)
    base = url_for("billing.encounters")  # the tabs' URLs as url_for writes them (the keys are plain words)
    tabs = [(key, label, f"{base}?status={key}") for key, label in ENCOUNTER_STATUSES.items()]
    return render_page("billing/encounters.html", title="Encounters", table=table, status=status,
                       all_url=base, tabs=tabs, breadcrumbs=[("Encounters", None)])


def _attach_patients_and_charges(rows: list) -> None:
    """Set each encounter row's patient and ``charges_cents``, the cents of its active lines (a query each for the
    page)."""
    attach_patients(rows)
    totals = _active_charges([row.id for row in rows])
    for row in rows:
        row.charges_cents = totals.get(row.id, 0)


def _active_charges(encounter_ids: list[int]) -> dict[int, int]:
    """Cents charged on each encounter's active lines (encounters without any are absent)."""
    if not encounter_ids:
        return {}
    slots, values = id_slots(encounter_ids)
    query = (ServiceLine.select(ServiceLine.encounter, fn.SUM(ServiceLine.charge_cents))
             .where(ServiceLine.encounter.in_(slots) & (ServiceLine.active == True))  # noqa: E712
             .group_by(ServiceLine.encounter).tuples())
    return dict(prepared.rows(query, ("billing.encounter_charges", len(encounter_ids)), **values))  # ids and sums


@bp.route("/encounters/new", methods=["GET", "POST"])
@requires("billing.charges.edit")
def encounter_new():
    """Start charge entry for a patient's visit."""
    form = _with_options(NewEncounterForm())
    patient = None
    patient_id = record_id("patient_id") if request.method == "GET" else None
    if patient_id is not None:
        patient = load_for_display(patient_id, "billing.encounter.new.view")
        form.account_number.data = patient.account_number
    if request.method == "GET" and form.service_date.data is None:
        form.service_date.data = today()
    if form.validate_on_submit():
        patient = Patient.get(Patient.account_number == form.account_number.data)
        encounter = charges.create_encounter(patient.id, _header_values(form))
        notify(f"Encounter opened for {patient.display_name}. Add the diagnoses and services.")
        return redirect(url_for("billing.encounter", encounter_id=encounter.id))
    return render_page("billing/encounter_new.html", title="New encounter", form=form, patient=patient,
                       breadcrumbs=[("Encounters", url_for("billing.encounters")), ("New", None)]), (422 if form.errors else 200)


# --- The charge entry page ------------------------------------------------------------------------

def _line_form(line: ServiceLine | None = None, formdata=None) -> LineForm:
    prefix = f"line{line.id}" if line is not None else "new"
    if line is None:
        return LineForm(prefix=prefix, formdata=formdata)
    data = {"code": line.code, "modifiers": line.modifiers, "units": line.units, "charge": line.charge_cents,
            "pointers": line.pointers}
    return LineForm(prefix=prefix, formdata=formdata, data=data)


def _charges_context(encounter: Encounter, *, new_line: LineForm | None = None, dx_form: DiagnosisForm | None = None,
                     failed_line: tuple[int, LineForm] | None = None, message: str = "") -> dict:
    lock = charges.lock_reason(encounter)
    diagnoses = charges.diagnoses(encounter)
    lines = charges.lines(encounter)
    descriptions = {}
    if lines:
        rows = CodeEntry.select(CodeEntry.kind, CodeEntry.code, CodeEntry.description).where(
            (CodeEntry.kind == "cpt") & CodeEntry.code.in_({l.code for l in lines})).tuples()
        descriptions = {(kind, code): text for kind, code, text in rows}
    for d in diagnoses:  # the code set's own words
        found = icd10.find(d.code)
        descriptions[("icd10", d.code)] = found.description if found else "not an ICD-10-CM code"
    provider = (StaffMember.get_or_none(StaffMember.id == encounter.rendering_provider_id)
                if encounter.rendering_provider_id else None)
    line_forms = []
    for line in lines:
        form = failed_line[1] if failed_line and failed_line[0] == line.id else _line_form(line, formdata=None)
        line_forms.append((line, form))
    return {
        "encounter": encounter, "editable": lock is None and can("billing.charges.edit"), "lock": lock,
        "diagnoses": diagnoses, "line_forms": line_forms, "descriptions": descriptions,
        "new_line": new_line or _line_form(formdata=None), "dx_form": dx_form or DiagnosisForm(prefix="dx", formdata=None),
        "total": sum(l.charge_cents for l in lines), "message": message, "display_icd10": display_icd10,
        "provider": provider, "favorites": favorites.favorites(encounter.rendering_provider_id),
        "row_input": row_input,
    }


def _encounter_page(encounter: Encounter, status: int = 200, header: EncounterForm | None = None, **forms):
    """The whole charge entry page (an audited read of the encounter and its patient)."""
    patient = load_for_display(encounter.patient_id, "billing.encounter.view", about=encounter)
    context = _charges_context(encounter, **forms)
    if header is None:
        header = _with_options(EncounterForm(formdata=None, obj=encounter))
        header.location_id.data = encounter.location_id or 0
        header.rendering_provider_id.data = encounter.rendering_provider_id or 0
        header.referring_provider_id.data = encounter.referring_provider_id or 0
    claims = list(Claim.select(Claim, Payer).join(Payer).where(Claim.encounter == encounter).order_by(Claim.id))
    live_ranks = {c.responsibility for c in claims if c.status != "closed" and c.frequency_code == "1"}
    policies = in_force(encounter.patient_id, encounter.service_date)
    billable = [c for c in policies if {1: "P", 2: "S", 3: "T"}[c.rank] not in live_ranks]
    staff = {s.id: s for s in StaffMember.select().where(StaffMember.id.in_(
        [i for i in (encounter.rendering_provider_id, encounter.referring_provider_id) if i] or [0]))}
    title = f"Encounter {encounter.service_date.isoformat()}"
    return render_page("billing/encounter.html", title=title, patient=patient, header=header, claims=claims,
                       billable=billable, policies=policies, staff=staff, state_labels=STATE_LABELS, ranks=RANKS,
                       places=PLACES_OF_SERVICE, statuses=ENCOUNTER_STATUSES,
                       location=Location.get_or_none(Location.id == encounter.location_id) if encounter.location_id else None,
                       breadcrumbs=[("Encounters", url_for("billing.encounters")), (title, None)],
                       **context), status


def _respond(encounter: Encounter, status: int = 200, **forms):
    """The charges block for htmx; otherwise back to the page (or the page with errors)."""
    encounter = Encounter.get_by_id(encounter.id)
    if wants_fragment():
        return render_template("billing/_charges.html", **_charges_context(encounter, **forms)), status
    if status < 400:
        return redirect(url_for("billing.encounter", encounter_id=encounter.id))
    return _encounter_page(encounter, status, **forms)


@bp.route("/encounters/<int:encounter_id>")
@requires("billing.view")
def encounter(encounter_id: int):
    """The charge entry page. The view is audited."""
    return _encounter_page(_encounter(encounter_id))


@bp.route("/encounters/<int:encounter_id>", methods=["POST"])
@requires("billing.charges.edit")
def encounter_update(encounter_id: int):
    """Save the encounter header."""
    record = _encounter(encounter_id)
    form = _with_options(EncounterForm())
    if form.validate_on_submit():
        try:
            charges.update_encounter(record, _header_values(form))
        except charges.ChargeError as exc:
            form.service_date.errors.append(str(exc))
        else:
            notify("Saved the encounter.")
            return redirect(url_for("billing.encounter", encounter_id=record.id))
    return _encounter_page(record, 422, header=form)


@bp.route("/encounters/<int:encounter_id>/diagnoses", methods=["POST"])
@requires("billing.charges.edit")
def diagnosis_add(encounter_id: int):
    """Add a diagnosis (htmx: returns the charges block)."""
    record = _encounter(encounter_id)
    form = DiagnosisForm(prefix="dx")
    if form.validate_on_submit():
        try:
            charges.add_diagnosis(record, form.code.data)
        except charges.ChargeError as exc:
            form.code.errors.append(str(exc))
        else:
            return _respond(record)
    return _respond(record, 422, dx_form=form)


@bp.route("/encounters/<int:encounter_id>/diagnoses/<int:position>/delete", methods=["POST"])
@requires("billing.charges.edit")
def diagnosis_remove(encounter_id: int, position: int):
    """Remove a diagnosis; later ones move up and pointers follow."""
    record = _encounter(encounter_id)
    try:
        charges.remove_diagnosis(record, position)
    except charges.ChargeError as exc:
        form = DiagnosisForm(prefix="dx", formdata=None)
        form.code.errors = [str(exc)]
        return _respond(record, 422, dx_form=form)
    return _respond(record)


@bp.route("/encounters/<int:encounter_id>/lines", methods=["POST"])
@requires("billing.charges.edit")
def line_add(encounter_id: int):
    """Add a service line; a blank charge comes from the fee schedule."""
    record = _encounter(encounter_id)
    form = LineForm(prefix="new")
    if form.validate_on_submit():
        try:
            charges.add_line(record, form.values())
        except charges.ChargeError as exc:
            getattr(form, {"diagnosis": "pointers"}.get(exc.field, exc.field), form.code).errors.append(str(exc))
        else:
            return _respond(record)
    return _respond(record, 422, new_line=form)


def _line(encounter: Encounter, line_id: int) -> ServiceLine:
    line = ServiceLine.get_or_none((ServiceLine.id == line_id) & (ServiceLine.encounter == encounter)
                                   & (ServiceLine.active == True))  # noqa: E712
    return line or abort(404)


@bp.route("/encounters/<int:encounter_id>/lines/<int:line_id>", methods=["POST"])
@requires("billing.charges.edit")
def line_update(encounter_id: int, line_id: int):
    """Save one line edited in place."""
    record = _encounter(encounter_id)
    line = _line(record, line_id)
    form = LineForm(prefix=f"line{line.id}")
    if form.validate_on_submit():
        try:
            charges.update_line(line, form.values())
        except charges.ChargeError as exc:
            getattr(form, exc.field, form.code).errors.append(str(exc))
        else:
            return _respond(record)
    return _respond(record, 422, failed_line=(line.id, form))


@bp.route("/encounters/<int:encounter_id>/lines/<int:line_id>/delete", methods=["POST"])
@requires("billing.charges.edit")
def line_remove(encounter_id: int, line_id: int):
    """Remove a line (kept, with its charge reversed, once charges are posted)."""
    record = _encounter(encounter_id)
    line = _line(record, line_id)
    try:
        charges.remove_line(line)
    except charges.ChargeError as exc:
        return _respond(record, 422, message=str(exc))
    return _respond(record)


@bp.route("/encounters/<int:encounter_id>/fee")
@requires("billing.charges.edit")
def fee_lookup(encounter_id: int):
    """The charge input for the new line, defaulted from the fee schedule for the typed code (htmx)."""
    record = _encounter(encounter_id)
    code = (request.args.get("new-code") or "").strip().upper()
    modifiers = [m for m in (request.args.get("new-modifiers") or "").upper().replace(",", " ").split() if m]
    units_text = request.args.get("new-units") or "1"
    units = int(units_text) if units_text.isascii() and units_text.isdecimal() else 1
    units = units if 0 < units <= charges.MAX_UNITS else 1
    cents = default_charge_cents(code, modifiers, units) if procedure_code_is_valid_format(code) else None
    form = LineForm(prefix="new", formdata=None, data={"charge": cents})
    return render_template("billing/_fee_input.html", form=form, cents=cents, code=code, units=units,
                           encounter=record, row_input=row_input)


@bp.route("/encounters/<int:encounter_id>/post", methods=["POST"])
@requires("billing.charges.edit")
def encounter_post(encounter_id: int):
    """Bill the visit to the patient (no insurance in force): the charges go on the patient's ledger."""
    record = _encounter(encounter_id)
    if in_force(record.patient_id, record.service_date):
        notify("The patient has insurance in force on that date: create a claim instead.", "error")
    else:
        try:
            written = charges.post_charges(record)
        except charges.ChargeError as exc:
            notify(str(exc), "error")
        else:
            notify(f"Posted the charges to the patient's account ({written} ledger entries)." if written
                   else "The charges were already posted.")
    return redirect(url_for("billing.encounter", encounter_id=record.id))


@bp.route("/encounters/<int:encounter_id>/claims", methods=["POST"])
@requires("billing.claims.edit")
def claim_create(encounter_id: int):
    """Create the claim to the responsible payer (primary by default; ``rank`` 2 or 3 after it)."""
    record = _encounter(encounter_id)
    rank = request.form.get("rank", "1")
    try:
        claim = create_claim(record, int(rank) if rank in ("1", "2", "3") else 1)
    except ClaimError as exc:
        notify(str(exc), "error")
        return redirect(url_for("billing.encounter", encounter_id=record.id))
    notify(f"Created claim {claim.claim_number}.")
    return redirect(url_for("billing.claim", claim_id=claim.id))
