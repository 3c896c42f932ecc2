"""The staff and locations directory: lists, audited create/edit, deactivate (never delete).

Plugins reference staff members and locations by id, so rows are only ever deactivated.
On the staff list the phone and e-mail cells are edited in place (``web/inline_edit.py``).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import redirect, request, url_for
from flask_wtf import FlaskForm
from peewee import JOIN, fn
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from .. import audit
from ..auth.access import can, requires
from ..data_versions import STAFF_KEY
from ..db import transaction
from ..identifiers import npi_is_valid, taxonomy_is_valid
from ..models import Location, StaffMember
from ..plain import PlainSelect
from . import core_blueprint as bp
from .forms import choices, form_values
from .inline_edit import InlineTarget, cell_renderer, cell_response, edit_response, save_response
from .patients import PHONE
from .shell import notify, render_page
from .tables import TableColumn, paginate, url_template

STATUSES = ("active", "inactive")


def _upper(value):
    return (value or "").strip().upper()


def _digits_only(value):
    return "".join((value or "").split())


def npi_validator(form, field):
    """WTForms validator: an NPI must be 10 digits with a valid check digit (empty passes)."""
    if field.data and not npi_is_valid(field.data):
        raise ValidationError("This is not a valid NPI: it needs 10 digits and the last one is a check digit. "
                              "Copy it from NPPES.")


def taxonomy_validator(form, field):
    """WTForms validator: a NUCC taxonomy code is 9 letters or digits and then X (empty passes)."""
    if field.data and not taxonomy_is_valid(field.data):
        raise ValidationError("A taxonomy code has 10 characters ending in X, such as 207Q00000X.")


def _location_choices(current_id: int | None) -> list[tuple[str, str]]:
    """Active locations (plus the current one if it was deactivated), for a select."""
    query = Location.select(Location.id, Location.name, Location.active).where(
        (Location.active == True) | (Location.id == current_id)  # noqa: E712
    ).order_by(Location.name)
    return [("", "— none —")] + [(str(loc.id), loc.name if loc.active else f"{loc.name} (inactive)")
                                 for loc in query]


def _location_id(value):
    """Coerce a location select value (form text, a Location, or nothing) to an id or None."""
    if isinstance(value, Location):
        return value.id
    return int(value) if value not in (None, "", "None") else None


class StaffForm(FlaskForm):
    """A staff member; providers also need an NPI and a NUCC taxonomy code."""

    first_name = StringField("Legal first name", validators=[DataRequired(), Length(max=60)])
    middle_name = StringField("Middle name", validators=[Optional(), Length(max=60)])
    last_name = StringField("Legal last name", validators=[DataRequired(), Length(max=60)])
    preferred_name = StringField("Preferred first name", validators=[Optional(), Length(max=60)],
                                 description="What colleagues call them, if not their legal first name.")
    credentials = StringField("Credentials", validators=[Optional(), Length(max=30)],
                              description="MD, DO, NP, PA-C, RN...")
    job_title = StringField("Job title", validators=[Optional(), Length(max=80)])
    email = EmailField("E-mail", validators=[Optional(), Email(message="Enter an e-mail address such as name@example.com."),
                                             Length(max=120)])
    phone = StringField("Phone", validators=[Optional(), PHONE])
    location = SelectField("Location", coerce=_location_id, validate_choice=True)
    is_provider = BooleanField("Provider (bills under an NPI)")
    npi = StringField("NPI", filters=[_digits_only], validators=[npi_validator],
                      description="Individual NPI, 10 digits. Required for providers.")
    taxonomy = StringField("Taxonomy code", filters=[_upper], validators=[taxonomy_validator],
                           description="NUCC provider taxonomy, e.g. 207Q00000X. Required for providers.")

    def __init__(self, *args, staff_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff_id = staff_id

    def validate_npi(self, field):
        """Providers need an NPI, and two people never share one."""
        if self.is_provider.data and not field.data:
            raise ValidationError("Providers need their NPI.")
        if field.data:
            clash = StaffMember.select().where(StaffMember.npi == field.data)
            if self.staff_id is not None:
                clash = clash.where(StaffMember.id != self.staff_id)
            if clash.exists():
                raise ValidationError("Another staff member already has this NPI.")

    def validate_taxonomy(self, field):
        """Providers need a taxonomy code (claims carry it)."""
        if self.is_provider.data and not field.data:
            raise ValidationError("Providers need their taxonomy code.")


class LocationForm(FlaskForm):
    """A practice location; the NPI is the organization (type 2) NPI billed for it, if any."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    address1 = StringField("Street address", validators=[Optional(), Length(max=120)])
    address2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[Optional(), Length(max=80)])
    state = StringField("State", filters=[_upper], validators=[
        Optional(), Regexp(r"^[A-Z]{2}$", message="Use the two-letter state code.")])
    zip = StringField("ZIP code", validators=[Optional(), Regexp(r"^\d{5}(-?\d{4})?$", message="Use 5 or 9 digits.")])
    phone = StringField("Phone", validators=[Optional(), PHONE])
    npi = StringField("NPI", filters=[_digits_only], validators=[npi_validator],
                      description="Organization NPI of this site, if it has its own.")
    place_of_service = StringField("Place of service code", default="11", validators=[
        DataRequired(), Regexp(r"^\d{2}$", message="Use the 2-digit CMS place-of-service code (11 = office).")],
        description="CMS place-of-service code: 11 office, 02 telehealth, 22 outpatient hospital...")

    def __init__(self, *args, location_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.location_id = location_id

    def validate_name(self, field):
        """Location names are unique (they are what people pick from lists)."""
        clash = Location.select().where(fn.LOWER(Location.name) == (field.data or "").strip().lower())
        if self.location_id is not None:
            clash = clash.where(Location.id != self.location_id)
        if clash.exists():
            raise ValidationError("Another location already has this name.")


def _changes(record, values: dict) -> dict:
    """{field: {"before": old, "after": new}} for the values that differ from ``record``."""
    changed = {}
    for name, value in values.items():
        before = getattr(record, f"{name}_id" if name == "location" else name)
        if before != value:
            changed[name] = {"before": before, "after": value}
    return changed


def _status_arg() -> str:
    status = request.args.get("status", "active")
    return status if status in STATUSES else "active"


def _not_found(what: str):
    return render_page("core/error.html", title=f"{what} not found", code=404,
                       hint=f"The {what.lower()} does not exist.", detail="", permission=None), 404


# --- staff ----------------------------------------------------------------------------------

# Cells editable in place on the staff list: name -> (label, unbound field that validates it).
INLINE_FIELDS = {
    "phone": ("phone", StringField("Phone", validators=[Optional(), PHONE])),
    "email": ("e-mail", EmailField("E-mail", validators=[
        Optional(), Email(message="Enter an e-mail address such as name@example.com."), Length(max=120)])),
}


def _inline_target(member: StaffMember, name: str) -> InlineTarget:
    return _inline_targets(name)(member)


def _inline_targets(name: str) -> Callable[[Any], InlineTarget]:
    """A function of a staff member giving the in-place editor of its ``name`` cell (URLs built once per list)."""
    edit_url = url_template("core.staff_inline_edit", "staff_id", name=name)
    cell_url = url_template("core.staff_inline_cell", "staff_id", name=name)
    return lambda member: InlineTarget(dom_id=f"staff-{member.id}-{name}",
                                       label=f"{INLINE_FIELDS[name][0]} of {member.first_name} {member.last_name}",
                                       edit_url=edit_url(member.id), cell_url=cell_url(member.id))



def _save_changes(row, values: dict, object_type: str) -> dict:
    """Write the fields of ``row`` that differ from ``values``, audited with before/after; returns them."""
    changed = _changes(row, values)
    if changed:
        model = type(row)
        with transaction():
            model.update(**{k: v["after"] for k, v in changed.items()}).where(model.id == row.id).execute()
            audit.record(f"{object_type}.update", object_type, row.id, detail={"changed": changed})
    return changed


def _set_active(row, action: str, object_type: str) -> bool:
    """Apply ``activate``/``deactivate`` to ``row`` (never a delete), audited; returns the new state."""
    active = action == "activate"
    if row.active != active:
        model = type(row)
        with transaction():
            model.update(active=active).where(model.id == row.id).execute()
            audit.record(f"{object_type}.{action}", object_type, row.id)
    return active

_STAFF_COLUMNS = (StaffMember.id, StaffMember.last_name, StaffMember.first_name, StaffMember.credentials,
                  StaffMember.job_title, StaffMember.npi, StaffMember.is_provider, StaffMember.phone, StaffMember.email,
                  Location.name.alias("location_name"))


@bp.route("/staff")
@requires("core.staff.view")
def staff_list():
    """The staff directory: search by name, title, e-mail or NPI; phone and e-mail edit in place."""
    status = _status_arg()
    editable = can("core.staff.edit")

    def search(text):
        expr = None
        for term in text.replace(",", " ").split():
            like = f"%{term}%"
            part = ((StaffMember.last_name ** like) | (StaffMember.first_name ** like)
                    | (StaffMember.preferred_name ** like)
                    | (StaffMember.job_title ** like) | (StaffMember.email ** like)
                    | (StaffMember.npi == term))
            expr = part if expr is None else expr & part
        return expr

    query = (PlainSelect(StaffMember, _STAFF_COLUMNS)
             .join(Location, JOIN.LEFT_OUTER, on=(StaffMember.location == Location.id))
             .where(StaffMember.active == (status == "active")))
    edit_url = url_template("core.staff_edit", "staff_id")
    cell = cell_renderer(editable=editable)
    phone_target, email_target = _inline_targets("phone"), _inline_targets("email")
    table = paginate(
        query,
        id="staff-table",
        columns=[
            # the model's own wording of a name, read from the row's columns
            TableColumn("name", "Name", sort=StaffMember.last_name, value=StaffMember.display_name.fget,
                        link=(lambda s: edit_url(s.id)) if editable else None),
            TableColumn("job_title", "Job title", sort=StaffMember.job_title),
            TableColumn("npi", "Provider NPI", sort=StaffMember.npi,
                        value=lambda s: s.npi if s.is_provider else ""),
            TableColumn("location", "Location", sort=Location.name, value=lambda s: s.location_name or ""),
            TableColumn("phone", "Phone", value=lambda s: cell(phone_target(s), s.phone)),
            TableColumn("email", "E-mail", sort=StaffMember.email, value=lambda s: cell(email_target(s), s.email)),
        ],
        search=search, default_sort="name", endpoint="core.staff_list",
        endpoint_args={"status": status} if status != "active" else {},
        noun="staff member", noun_plural="staff members", search_placeholder="Name, title, e-mail or NPI",
        empty_message="No staff members match." if status == "active" else "No inactive staff members.",
        key=("core.staff", status), kept_by=STAFF_KEY, kept_with=(editable,),
    )
    return render_page("core/staff.html", title="Staff", table=table, status=status,
                       breadcrumbs=[("Staff", None)])


@bp.route("/staff/new", methods=["GET", "POST"])
@requires("core.staff.edit")
def staff_new():
    """Add a staff member or provider."""
    form = StaffForm()
    form.location.choices = choices(_location_choices(None))
    if form.validate_on_submit():
        values = form_values(form)
        with transaction():
            member = StaffMember.create(**values)
            audit.record("staff.create", "staff", member.id, detail={"fields": sorted(values)})
        notify(f"Added {member.display_name}.")
        return redirect(url_for("core.staff_list"))
    return render_page("core/staff_form.html", title="Add a staff member", form=form, member=None,
                       breadcrumbs=[("Staff", url_for("core.staff_list")), ("Add", None)]), (422 if form.errors else 200)


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@requires("core.staff.edit")
def staff_edit(staff_id: int):
    """Edit a staff member; the audit entry records each changed field's before and after."""
    member = StaffMember.get_or_none(StaffMember.id == staff_id)
    if member is None:
        return _not_found("Staff member")
    form = StaffForm(obj=member, staff_id=member.id)
    form.location.choices = choices(_location_choices(member.location_id))
    if form.validate_on_submit():
        changed = _save_changes(member, form_values(form), "staff")
        notify("Saved." if changed else "Nothing changed.")
        return redirect(url_for("core.staff_list"))
    return render_page("core/staff_form.html", title=f"Edit {member.display_name}", form=form, member=member,
                       breadcrumbs=[("Staff", url_for("core.staff_list")), (member.display_name, None)]), (
        422 if form.errors else 200)


@bp.route("/staff/<int:staff_id>/<any(deactivate, activate):action>", methods=["POST"])
@requires("core.staff.edit")
def staff_set_active(staff_id: int, action: str):
    """Deactivate (or reactivate) a staff member; the row stays for the records that cite it."""
    member = StaffMember.get_or_none(StaffMember.id == staff_id)
    if member is None:
        return _not_found("Staff member")
    active = _set_active(member, action, "staff")
    notify(f"{member.display_name} is {'active again' if active else 'now inactive'}.")
    return redirect(url_for("core.staff_list", status=None if active else "inactive"))


@bp.route("/staff/<int:staff_id>/<any(phone, email):name>/edit", methods=["GET", "POST"])
@requires("core.staff.edit")
def staff_inline_edit(staff_id: int, name: str):
    """Inline edit of a staff member's phone or e-mail: GET the editor, POST to save (audited)."""
    member = StaffMember.get_or_none(StaffMember.id == staff_id)
    if member is None:
        return _not_found("Staff member")
    target, field = _inline_target(member, name), INLINE_FIELDS[name][1]
    if request.method == "GET":
        return edit_response(target, field, getattr(member, name))

    def save(value):
        changed = _changes(member, {name: value})
        if changed:
            with transaction():
                StaffMember.update(**{name: value}).where(StaffMember.id == member.id).execute()
                audit.record("staff.update", "staff", member.id, detail={"changed": changed})
        return value

    return save_response(target, field, save)


@bp.route("/staff/<int:staff_id>/<any(phone, email):name>")
@requires("core.staff.view")
def staff_inline_cell(staff_id: int, name: str):
    """A staff member's phone or e-mail cell (what Cancel and Escape go back to)."""
    member = StaffMember.get_or_none(StaffMember.id == staff_id)
    if member is None:
        return _not_found("Staff member")
    return cell_response(_inline_target(member, name), getattr(member, name), editable=can("core.staff.edit"))


# --- locations ------------------------------------------------------------------------------

@bp.route("/locations")
@requires("core.locations.edit")
def locations():
    """The practice's locations with the number of active staff assigned to each."""
    status = _status_arg()
    staff_count = (StaffMember.select(fn.COUNT(StaffMember.id))
                   .where((StaffMember.location == Location.id) & (StaffMember.active == True)))  # noqa: E712
    query = (Location.select(Location, staff_count.alias("staff_count"))
             .where(Location.active == (status == "active")))
    table = paginate(
        query,
        id="locations-table",
        columns=[
            TableColumn("name", "Name", sort=Location.name,
                        link=lambda loc: url_for("core.location_edit", location_id=loc.id)),
            TableColumn("city", "City", sort=Location.city,
                        value=lambda loc: ", ".join(p for p in (loc.city, loc.state) if p)),
            TableColumn("phone", "Phone"),
            TableColumn("npi", "NPI", sort=Location.npi),
            TableColumn("place_of_service", "Place of service", sort=Location.place_of_service),
            TableColumn("staff_count", "Active staff", numeric=True),
        ],
        search=lambda text: (Location.name ** f"%{text}%") | (Location.city ** f"%{text}%"),
        default_sort="name", endpoint="core.locations",
        endpoint_args={"status": status} if status != "active" else {},
        noun="location", noun_plural="locations", search_placeholder="Name or city",
        empty_message="No locations yet. Add the practice's first site." if status == "active"
        else "No inactive locations.",
        key=("core.locations", status), kept_by=STAFF_KEY,
    )
    return render_page("core/locations.html", title="Locations", table=table, status=status,
                       breadcrumbs=[("Admin", None), ("Locations", None)])


@bp.route("/locations/new", methods=["GET", "POST"])
@requires("core.locations.edit")
def location_new():
    """Add a location."""
    form = LocationForm()
    if form.validate_on_submit():
        values = form_values(form)
        with transaction():
            location = Location.create(**values)
            audit.record("location.create", "location", location.id, detail={"fields": sorted(values)})
        notify(f"Added {location.name}.")
        return redirect(url_for("core.locations"))
    return render_page("core/locations_form.html", title="Add a location", form=form, location=None,
                       breadcrumbs=[("Locations", url_for("core.locations")), ("Add", None)]), (
        422 if form.errors else 200)


@bp.route("/locations/<int:location_id>/edit", methods=["GET", "POST"])
@requires("core.locations.edit")
def location_edit(location_id: int):
    """Edit a location; the audit entry records each changed field's before and after."""
    location = Location.get_or_none(Location.id == location_id)
    if location is None:
        return _not_found("Location")
    form = LocationForm(obj=location, location_id=location.id)
    if form.validate_on_submit():
        changed = _save_changes(location, form_values(form), "location")
        notify("Saved." if changed else "Nothing changed.")
        return redirect(url_for("core.locations"))
    return render_page("core/locations_form.html", title=f"Edit {location.name}", form=form, location=location,
                       breadcrumbs=[("Locations", url_for("core.locations")), (location.name, None)]), (
        422 if form.errors else 200)


@bp.route("/locations/<int:location_id>/<any(deactivate, activate):action>", methods=["POST"])
@requires("core.locations.edit")
def location_set_active(location_id: int, action: str):
    """Deactivate (or reactivate) a location; staff and records keep pointing at it."""
    location = Location.get_or_none(Location.id == location_id)
    if location is None:
        return _not_found("Location")
    active = _set_active(location, action, "location")
    notify(f"{location.name} is {'active again' if active else 'now inactive'}.")
    return redirect(url_for("core.locations", status=None if active else "inactive"))
