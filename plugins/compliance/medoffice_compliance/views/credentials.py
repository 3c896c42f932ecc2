"""Credentialing pages: the board, a credential with its document and verifications, the form,
and "ready to bill payer X on date D"."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import dates, prepared
from medoffice.auth import can, requires
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.files.views import render_panel, render_panels
from medoffice.models import Location, StaffMember
from medoffice.money import parse_cents
from medoffice.prepared import slot
from medoffice.settings import today
from medoffice.web.forms import choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import parse_id, record_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import url_template

from .. import credentials as service
from .. import rules
from ..models import CREDENTIALS_VERSION, VERIFICATIONS_VERSION, Credential
from . import bp
from .forms import CredentialForm, ReasonForm, VerificationForm


class Provider(NamedTuple):
    """An active provider as the credentialing pages name them ('Last, First, Credentials')."""

    id: int
    display_name: str


_PROVIDERS = (StaffMember.select(StaffMember.id, StaffMember.last_name, StaffMember.first_name,
                                 StaffMember.credentials)
              .where((StaffMember.is_provider == True) & (StaffMember.active == True))  # noqa: E712
              .order_by(StaffMember.last_name, StaffMember.first_name))


def _providers() -> list[Provider]:
    """The active providers, by name: the four columns their names need as plain rows, not every column of the
    staff table read into a model each."""
    return [Provider(id_, f"{last}, {first}, {credentials}" if credentials else f"{last}, {first}")
            for id_, last, first, credentials in prepared.rows(_PROVIDERS, "compliance.provider_names")]


def _choice_arg(name: str, allowed) -> str:
    value = request.args.get(name, "").strip()
    if value and value not in allowed:
        abort(400, description=f"{name}: not one of the choices.")
    return value


@bp.route("/")
@requires("compliance.credentials.view")
def board():
    """The credentialing board: provider x credential kind, red/amber/green, filterable."""
    staff_id = record_id("staff_id")
    state = _choice_arg("state", rules.STATES)
    colour = _choice_arg("colour", rules.COLOUR_RANK)
    providers, rows, cells, provider_cells = _board(today(), staff_id, state, colour)
    return render_page("compliance/board.html", title="Credentialing",
                       provider_rows=_provider_rows(provider_cells, can("compliance.credentials.edit")),
                       practice=[by_kind for row, by_kind in zip(rows, cells) if row.staff is None],
                       providers=providers, provider_kinds=rules.PROVIDER_KINDS, practice_kinds=rules.PRACTICE_KINDS,
                       state_options=_state_options(state),
                       filters={"staff_id": staff_id, "state": state, "colour": colour})


def _board(day: dt.date, staff_id: int | None, state: str, colour: str) -> tuple:
    """The board as every user sees it: (the active providers, the board's rows, their cells by kind, the providers'
    rows as ``_provider_cells`` gives them), kept per process for the day, the filters, the date format and the
    links until a credential or the staff change (``medoffice.data_versions``). Shared by the requests that follow:
    read, do not change."""
    link, pattern = url_template("compliance.credential", "credential_id"), dates.pattern()

    def build() -> tuple:
        providers = _providers()
        rows = service.board(day, providers, staff_id=staff_id, state=state, colour=colour)
        cells = _cells(rows, link, pattern)
        return providers, rows, cells, _provider_cells(rows, cells)

    return kept((CREDENTIALS_VERSION.key, STAFF_KEY), ("board", day, staff_id, state, colour, pattern, link(0)), build)


STANDING = {"red": "lapsed or denied", "amber": "due soon or pending", "green": "current"}


def _cells(rows: list[service.BoardRow], link, pattern: str) -> list[dict[str, Markup]]:
    """Each board row's cells by kind: its credentials as chips linking to them (``link`` of the credential's id;
    its due date in ``pattern``), built here in one pass rather than by a macro per cell and ``url_for`` per chip."""
    cells = []
    for row in rows:
        by_kind = {}
        for kind, items in row.cells.items():
            html = []
            for c in items:
                colour = c.colour
                due = f" {c.due_on.strftime(pattern)}" if c.due_on else ""
                words = escape(f"{c.state or c.issuer or 'on file'}{due}, {STANDING.get(colour, colour)}")
                html.append(f'<a href="{link(c.id)}"><span class="chip chip-{colour}">{words}</span></a> ')
            by_kind[kind] = Markup("".join(html))
        cells.append(by_kind)
    return cells


def _provider_cells(rows: list[service.BoardRow], cells: list[dict[str, Markup]]) -> list[tuple[int, str, str]]:
    """The providers' rows of the board as (staff id, the name escaped, the rest of the row after the name's cell:
    the overall chip as ui.chip writes it and a cell per kind), the same for every user: ``_provider_rows`` puts in
    the "+" of who may add a credential."""
    found = []
    for row, by_kind in zip(rows, cells):
        staff = row.staff
        if staff is None:
            continue
        overall = row.overall
        kinds = "".join(f"<td>{by_kind.get(k.key, '')}</td>" for k in rules.PROVIDER_KINDS)
        found.append((staff.id, str(escape(staff.display_name)),
                      f'</td>\n<td><span class="chip chip-{overall or "none"}">{overall or "nothing on file"}</span></td>\n'
                      f"{kinds}</tr>\n"))
    return found


def _provider_rows(provider_cells: list[tuple[int, str, str]], can_edit: bool) -> Markup:
    """The providers' ``<tr>`` rows of the board (name, "+" to add a credential for who may, the overall chip, a cell
    per kind), or the row saying none matches: the template's loop called a macro, ``url_for`` and a lookup per cell
    through Jinja."""
    if not provider_cells:
        return Markup(f'<tr><td colspan="{len(rules.PROVIDER_KINDS) + 2}">No provider matches.</td></tr>')
    if not can_edit:
        return Markup("".join(f"<tr><td>{name}{rest}" for _id, name, rest in provider_cells))
    add = url_template("compliance.credential_new", "staff_id")
    return Markup("".join(f'<tr><td>{name} <a href="{add(staff_id)}">+</a>{rest}'
                          for staff_id, name, rest in provider_cells))


def _state_options(chosen: str) -> Markup:
    """The state filter's options, the chosen one selected."""
    return Markup("".join(f"<option {'selected' if s == chosen else ''}>{s}</option>" for s in rules.STATES))


def _form_choices(form: CredentialForm) -> None:
    form.staff_id.choices = choices([("", "The practice")] + [(str(p.id), p.display_name) for p in _providers()])


def _values(form: CredentialForm) -> service.CredentialValues:
    limits = {}
    for name in ("limit_per_claim", "limit_aggregate"):
        text = (getattr(form, name).data or "").strip()
        try:
            limits[name] = parse_cents(text) if text else None
        except ValueError as bad:
            raise service.CredentialError(str(bad), name) from None
    return service.CredentialValues(
        kind=form.kind.data, staff_id=parse_id(form.staff_id.data), state=form.state.data or "",
        number=(form.number.data or "").strip(), issuer=(form.issuer.data or "").strip(),
        payer_id=(form.payer_id.data or "").strip(), status=form.status.data or "",
        effective_on=form.effective_on.data, expires_on=form.expires_on.data,
        limit_per_claim_cents=limits["limit_per_claim"], limit_aggregate_cents=limits["limit_aggregate"],
        note=(form.note.data or "").strip())


FIELD_FOR = {"limit_per_claim_cents": "limit_per_claim", "limit_aggregate_cents": "limit_aggregate"}


def _form_html(form: CredentialForm) -> str:
    """The credential form as its page shows it, the CSRF token a slot."""
    return slotted(render_template("compliance/_credential_form.html", form=form))


def _blank_form_html(staff_id: int | None) -> str:
    """The empty credential form, its provider ``staff_id`` chosen (the practice when None): kept until the staff,
    the users or the settings change, per provider chosen."""
    def build() -> str:
        form = CredentialForm(formdata=None)
        _form_choices(form)
        form.staff_id.data = str(staff_id) if staff_id else ""
        return _form_html(form)

    return kept_part((STAFF_KEY,), ("credential form", staff_id), build)


def _credential_form_page(html: str, status: int):
    """The page adding a credential, showing its form ``html`` (kept, or a refused one's)."""
    return render_page("compliance/credential_form.html", title="Add a credential", content=with_csrf_token(html),
                       breadcrumbs=[("Credentialing", url_for("compliance.board"))]), status


@bp.route("/credentials/new", methods=["GET", "POST"])
@requires("compliance.credentials.edit")
def credential_new():
    """Add a credential with its document; bad input comes back with 422 and nothing saved."""
    if request.method == "GET":
        return _credential_form_page(_blank_form_html(record_id("staff_id")), 200)
    form = CredentialForm()
    _form_choices(form)
    if form.validate_on_submit():
        upload = form.document.data
        try:
            credential = service.save(_values(form), current_user.username,
                                      document=upload.stream if upload and upload.filename else None,
                                      filename=upload.filename if upload else "")
        except service.CredentialError as refused:
            target = getattr(form, FIELD_FOR.get(refused.field, refused.field), form.kind)
            target.errors = [str(refused)]
        else:
            notify("Credential saved.")
            return redirect(url_for("compliance.credential", credential_id=credential.id))
    return _credential_form_page(_form_html(form), 422)


def _credential_or_404(credential_id: int) -> Credential:
    credential = Credential.get_or_none(Credential.id == credential_id)
    if credential is None:
        abort(404)
    return credential


DOCUMENT_SLOT, LOCATION_SLOT = "\0document\0", "\0location\0"  # what a kept credential page shows live


def _evidence_slot(verification_id: int) -> str:
    """Where a kept credential page shows a verification's evidence panel."""
    return f"\0evidence {verification_id}\0"


def _content(credential_id: int, edit: bool, day: dt.date, forms: dict) -> tuple | None:
    """The credential's page as everyone who may (or may not) ``edit`` sees it on ``day``: (its title, its content,
    the CSRF token, the location's name and the files panels as slots, its location's id, its verifications' ids);
    None when there is no such credential. ``forms`` are refused ones, shown again with their errors."""
    credential = Credential.get_or_none(Credential.id == credential_id)
    if credential is None:
        return None
    owner = StaffMember.get_by_id(credential.staff_id) if credential.staff_id else None
    verifications = list(credential.verifications.order_by(-service.Verification.verified_on))
    kind = rules.KIND_BY_KEY[credential.kind]
    html = render_template(
        "compliance/_credential.html", credential=credential, owner=owner, edit=edit,
        location=Markup(LOCATION_SLOT) if credential.location_id else None, kind=kind,
        colour=service.item_colour(credential, day), verifications=verifications, document=Markup(DOCUMENT_SLOT),
        evidence={v.id: Markup(_evidence_slot(v.id)) for v in verifications},
        verification_form=forms.get("verification_form") or VerificationForm(formdata=None),
        remove_form=forms.get("remove_form") or ReasonForm(formdata=None), rules=rules)
    return kind.title, slotted(html), credential.location_id, tuple(v.id for v in verifications)


_LOCATION_NAME = Location.select(Location.name).where(Location.id == slot("id"))


def _with_live_parts(html: str, credential_id: int, location_id: int | None, verification_ids: tuple) -> Markup:
    """A credential's kept content with what is not kept put in: the request's CSRF token, the location's name and
    the files panels (their files, who may upload, each list's audit entry)."""
    html = str(with_csrf_token(html)).replace(DOCUMENT_SLOT, render_panel(
        "compliance", "credential", credential_id, service.ATTACHMENT_KIND, title="Credential document"))
    if location_id:
        html = html.replace(LOCATION_SLOT, escape(prepared.scalar(_LOCATION_NAME, "compliance.location_name",
                                                                  id=location_id) or ""))
    if verification_ids:
        panels = render_panels("compliance", "verification", verification_ids, service.EVIDENCE_KIND,
                               title="Evidence")
        for verification_id, panel in panels.items():
            html = html.replace(_evidence_slot(verification_id), panel)
    return Markup(html)


def _page(credential_id: int, status: int = 200, **forms):
    """A credential's page: its content kept until a credential, a verification, the staff or the users change,
    for the day and who may edit; built afresh to show refused ``forms``."""
    edit, day = can("compliance.credentials.edit"), today()
    if forms:
        content = _content(credential_id, edit, day, forms)
    else:
        content = kept_part((CREDENTIALS_VERSION.key, VERIFICATIONS_VERSION.key, STAFF_KEY),
                            ("credential", credential_id, edit, day), lambda: _content(credential_id, edit, day, {}))
    if content is None:
        abort(404)
    title, html, location_id, verification_ids = content
    return render_page("compliance/credential.html", title=title,
                       content=_with_live_parts(html, credential_id, location_id, verification_ids),
                       breadcrumbs=[("Credentialing", url_for("compliance.board"))]), status


@bp.route("/credentials/<int:credential_id>")
@requires("compliance.credentials.view")
def credential(credential_id: int):
    """One credential: its dates, document, due-date colour and verification log."""
    return _page(credential_id)


@bp.route("/credentials/<int:credential_id>/verifications", methods=["POST"])
@requires("compliance.credentials.edit")
def verification_add(credential_id: int):
    """Log a primary-source verification with its evidence."""
    credential = _credential_or_404(credential_id)
    form = VerificationForm()
    if form.validate_on_submit():
        upload = form.evidence.data
        try:
            service.add_verification(credential, form.verified_on.data, form.source.data, form.result.data or "",
                                     current_user.username,
                                     evidence=upload.stream if upload and upload.filename else None,
                                     filename=upload.filename if upload else "")
        except service.CredentialError as refused:
            getattr(form, refused.field, form.source).errors = [str(refused)]
        else:
            notify("Verification logged.")
            return redirect(url_for("compliance.credential", credential_id=credential.id))
    return _page(credential.id, 422, verification_form=form)


@bp.route("/credentials/<int:credential_id>/remove", methods=["POST"])
@requires("compliance.credentials.edit")
def credential_remove(credential_id: int):
    """Take a credential off the board, with the reason (it is kept)."""
    credential = _credential_or_404(credential_id)
    form = ReasonForm()
    if not form.validate_on_submit() or credential.removed_at is not None:
        form.reason.errors = form.reason.errors or ["Already removed."]
        return _page(credential.id, 422, remove_form=form)
    service.remove(credential, form.reason.data)
    notify("Credential removed from the board.")
    return redirect(url_for("compliance.board"))


@bp.route("/ready")
@requires("compliance.credentials.view")
def ready():
    """Is a provider ready to bill a payer on a date? The reasons when not."""
    staff_id = record_id("staff_id")
    payer_id = request.args.get("payer_id", "").strip()[:40]
    on_text = request.args.get("on", "").strip()
    answer = None
    if staff_id and payer_id:
        try:
            on = dt.date.fromisoformat(on_text) if on_text else today()
        except ValueError:
            abort(400, description="on: give a date as YYYY-MM-DD.")
        if not dt.date(1900, 1, 1) <= on <= dt.date(2199, 12, 31):
            abort(400, description="on: a date from 1900 to 2199.")
        provider = StaffMember.get_or_none(StaffMember.id == staff_id)
        if provider is None:
            abort(404)
        answer = {"on": on, "reasons": service.billing_holds(staff_id, payer_id, on,
                                                             service.state_of_practice(provider))}
    return render_page("compliance/ready.html", title="Ready to bill?", providers=_providers(), answer=answer,
                       staff_id=staff_id, payer_id=payer_id, on=on_text,
                       breadcrumbs=[("Credentialing", url_for("compliance.board"))])
