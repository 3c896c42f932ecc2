"""Native pages for a plugin's common case: a list, a create form, a detail page and an edit form
for one model, with the permission checks and the audit entries core's own pages have.

A plugin writes the model and the WTForms form and gets the four pages; it may use this for some
models and write its own views for others. Detail pages of a model with a ``patient_id`` column
record the read naming the patient (``medoffice.patients.load_record_for_display``)::

    pages = CrudPages(bp, Equipment, EquipmentForm, name="equipment", noun="device",
                      view_permission="maint.view", edit_permission="maint.edit",
                      columns=[TableColumn("name", "Name", sort=Equipment.name, link=...)],
                      default_sort="name", search=lambda text: Equipment.name ** f"%{text}%")
    pages.register()          # maint.equipment_list, _new, _detail, _edit under /equipment
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from flask import Blueprint, abort, redirect, url_for

from .. import audit
from ..auth.access import requires
from ..db import transaction
from ..patients import load_record_for_display
from .forms import form_values
from .shell import notify, render_page
from .tables import TableColumn, paginate


def _changes(row, values: dict) -> dict:
    """{field: {"before": old, "after": new}} for the form values that differ from ``row``."""
    return {name: {"before": getattr(row, name), "after": value}
            for name, value in values.items() if getattr(row, name) != value}


@dataclass
class CrudPages:
    """The list, new, detail and edit pages of ``model`` edited through ``form`` (see the module doc).

    :param name: the endpoint and URL stem (``equipment`` gives ``<blueprint>.equipment_list`` at
        ``/equipment`` under the blueprint's prefix) and the audit object type.
    :param title_of: the text naming one row (page titles, breadcrumbs, messages).
    """

    blueprint: Blueprint
    model: type
    form: type
    name: str
    noun: str
    view_permission: str
    edit_permission: str
    columns: list[TableColumn]
    default_sort: str
    search: Callable | None = None
    noun_plural: str = ""
    title_of: Callable = str
    per_page: int = 25
    kept_by: str | tuple[str, ...] | None = None  # data versions covering the list (paginate's kept_by)
    _endpoints: dict = field(default_factory=dict, init=False)

    @property
    def plural(self) -> str:
        """The noun for several rows."""
        return self.noun_plural or f"{self.noun}s"

    def endpoint(self, page: str) -> str:
        """The full endpoint of one of the pages: ``list``, ``new``, ``detail`` or ``edit``."""
        return f"{self.blueprint.name}.{self.name}_{page}"

    @property
    def patient_bearing(self) -> bool:
        """True when each row names a patient (its reads are audited as patient reads)."""
        return "patient" in self.model._meta.fields or "patient_id" in self.model._meta.fields

    def register(self) -> None:
        """Add the four routes to the blueprint."""
        stem = f"/{self.name.replace('_', '-')}"
        routes = [
            (stem, ["GET"], "list", self.view_permission, self.list_page),
            (f"{stem}/new", ["GET", "POST"], "new", self.edit_permission, self.new_page),
            (f"{stem}/<int:record_id>", ["GET"], "detail", self.view_permission, self.detail_page),
            (f"{stem}/<int:record_id>/edit", ["GET", "POST"], "edit", self.edit_permission, self.edit_page),
        ]
        for rule, methods, page, permission, method in routes:
            def view(_method=method, **kwargs):
                return _method(**kwargs)
            view.__name__ = f"{self.name}_{page}"
            view.__doc__ = f"{page.capitalize()} page of {self.plural} (core.web.crud)."
            self.blueprint.add_url_rule(rule, view.__name__, requires(permission)(view), methods=methods)

    def _breadcrumbs(self, *tail) -> list:
        return [(self.plural.capitalize(), url_for(self.endpoint("list"))), *tail]

    def _load(self, record_id: int, action: str):
        if self.patient_bearing:
            row, _patient = load_record_for_display(self.model, record_id, action)
            return row
        return self.model.get_or_none(self.model.id == record_id) or abort(404)

    @cached_property
    def _every_row(self):
        return self.model.select()  # built once: the list compiles it once per sort (paginate's key)

    def list_page(self):
        """The searchable, sortable, paged list (a patient-bearing list records whom it showed)."""
        table = paginate(self._every_row, id=f"{self.name}-table", columns=self.columns, search=self.search,
                         default_sort=self.default_sort, endpoint=self.endpoint("list"), per_page=self.per_page,
                         key=("crud", self.endpoint("list")), kept_by=self.kept_by,
                         noun=self.noun, noun_plural=self.plural, search_placeholder=f"Search {self.plural}",
                         empty_message=f"No {self.plural} yet.")
        if self.patient_bearing:
            audit.record_list(f"{self.name}.list", (row.patient_id for row in table.rows))
        return render_page("core/crud/list.html", title=self.plural.capitalize(), table=table, pages=self,
                           breadcrumbs=[(self.plural.capitalize(), None)])

    def new_page(self):
        """Create one row; invalid input comes back with inline errors and 422."""
        form = self.form()
        if form.validate_on_submit():
            values = form_values(form)
            with transaction():
                row = self.model.create(**values)
                audit.record(f"{self.name}.create", self.name, row.id,
                             patient_id=getattr(row, "patient_id", None), detail={"fields": sorted(values)})
            notify(f"Added {self.title_of(row)}.")
            return redirect(url_for(self.endpoint("detail"), record_id=row.id))
        return render_page("core/crud/form.html", title=f"New {self.noun}", form=form, pages=self,
                           cancel=url_for(self.endpoint("list")),
                           breadcrumbs=self._breadcrumbs(("New", None))), (422 if form.errors else 200)

    def detail_page(self, record_id: int):
        """One row's fields as its form labels them."""
        row = self._load(record_id, f"{self.name}.view")
        labels = [(f.label.text, getattr(row, f.name)) for f in self.form(obj=row, meta={"csrf": False})
                  if f.type not in ("CSRFTokenField", "SubmitField", "HiddenField")]
        return render_page("core/crud/detail.html", title=self.title_of(row), row=row, fields=labels, pages=self,
                           breadcrumbs=self._breadcrumbs((self.title_of(row), None)))

    def edit_page(self, record_id: int):
        """Edit one row; the audit entry records each changed field's before and after."""
        row = self._load(record_id, f"{self.name}.edit.view")
        form = self.form(obj=row)
        if form.validate_on_submit():
            changed = _changes(row, form_values(form))
            if changed:
                with transaction():
                    self.model.update(**{k: v["after"] for k, v in changed.items()}).where(
                        self.model.id == row.id).execute()
                    audit.record(f"{self.name}.update", self.name, row.id,
                                 patient_id=getattr(row, "patient_id", None), detail={"changed": changed})
            notify("Saved." if changed else "Nothing changed.")
            return redirect(url_for(self.endpoint("detail"), record_id=row.id))
        return render_page("core/crud/form.html", title=f"Edit {self.title_of(row)}", form=form, pages=self,
                           cancel=url_for(self.endpoint("detail"), record_id=row.id),
                           breadcrumbs=self._breadcrumbs((self.title_of(row),
                                                          url_for(self.endpoint("detail"), record_id=row.id)),
                                                         ("Edit", None))), (422 if form.errors else 200)
