"""Campaigns with their spend and return, and referring providers with their thank-you e-mail."""
from __future__ import annotations

import datetime as dt
from functools import cache
from typing import NamedTuple

from flask import abort, current_app, redirect, request, url_for
from markupsafe import Markup
from medoffice import files, messages, prepared, settings
from medoffice.auth import can, requires
from medoffice.data_versions import kept
from medoffice.db import transaction
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.settings import today
from medoffice.web.forms import form_values, with_csrf_token
from medoffice.web.kept import kept_form, kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import Case, fn

from .. import returns
from ..models import (CHANNELS, MARKETING_FIGURES, REFERRERS, Campaign, ReferrerYear, ReferringProvider,
                      SpendEntry)
from ..recall import as_date
from ..sources import SourceError, add_spend, save_campaign, save_provider
from . import bp
from .common import form_page, username
from .forms import CampaignForm, ReferrerForm, SpendForm

EARLIEST = dt.date(1900, 1, 1)


def _crumbs():
    return [("Campaigns", url_for("marketing.campaigns"))]


# The list's columns as plain named tuples, compiled once (campaign models cost a converter and a field
# assignment per column of every row; the query was compiled on every view).
_CAMPAIGNS = PlainSelect(Campaign, [Campaign.id, Campaign.name, Campaign.code, Campaign.channel, Campaign.starts_on,
                          Campaign.ends_on, Campaign.budget_cents])


def _day(value) -> dt.date | None:
    return None if value is None else as_date(value)


@bp.route("/campaigns")
@requires("marketing.view")
def campaigns():
    """Every campaign, and this year's cost per new patient by channel."""
    link = url_template("marketing.campaign", "campaign_id")
    table = paginate(
        _CAMPAIGNS, id="campaigns-table", key="marketing.campaigns", kept_by=MARKETING_FIGURES.key,
        columns=[TableColumn("name", "Campaign", sort=Campaign.name, link=lambda c: link(c.id)),
                 TableColumn("code", "Code", sort=Campaign.code),
                 TableColumn("channel", "Channel", sort=Campaign.channel, value=lambda c: CHANNELS.get(c.channel)),
                 TableColumn("starts_on", "Starts", sort=Campaign.starts_on, kind="date", value=lambda c: _day(c.starts_on)),
                 TableColumn("ends_on", "Ends", sort=Campaign.ends_on, kind="date", value=lambda c: _day(c.ends_on)),
                 TableColumn("budget_cents", "Budget", sort=Campaign.budget_cents, kind="money")],
        search=lambda text: (Campaign.name ** f"%{text}%") | (Campaign.code ** f"%{text}%"),
        default_sort="starts_on", endpoint="marketing.campaigns", noun="campaign", noun_plural="campaigns",
        search_placeholder="Name or code", empty_message="No campaigns yet.")
    day = today()
    channels = returns.by_channel(day.replace(month=1, day=1), day)
    return render_page("marketing/campaigns.html", title="Campaigns", table=table, channels=channels,
                       breadcrumbs=[("Campaigns", None)])


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires("marketing.edit")
def campaign_new():
    """Add a campaign."""
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = save_campaign(form_values(form))
        except SourceError as exc:
            getattr(form, exc.field, form.name).errors.append(str(exc))
        else:
            notify(f"Added campaign {campaign.name}.")
            return redirect(url_for("marketing.campaign", campaign_id=campaign.id))
    return form_page(form, "New campaign", _crumbs(), cancel=url_for("marketing.campaigns"))


# A campaign and its spend, compiled once (peewee built both statements on every view of the page); the spend
# as plain named tuples of the columns shown (a model per entry cost a converter per column).
_CAMPAIGN = Campaign.select().where(Campaign.id == slot("id"))
_SPEND = (PlainSelect(SpendEntry, [SpendEntry.id, SpendEntry.spent_on, SpendEntry.vendor, SpendEntry.description,
                       SpendEntry.amount_cents])
          .where(SpendEntry.campaign == slot("campaign")).order_by(SpendEntry.spent_on.desc(), SpendEntry.id.desc()))


def _campaign(campaign_id: int) -> Campaign:
    return next(iter(prepared.run(_CAMPAIGN, "marketing.campaign", id=campaign_id)), None) or abort(404)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires("marketing.edit")
def campaign_edit(campaign_id: int):
    """Change a campaign."""
    campaign = _campaign(campaign_id)
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit():
        try:
            save_campaign(form_values(form), campaign)
        except SourceError as exc:
            getattr(form, exc.field, form.name).errors.append(str(exc))
        else:
            notify("Saved the campaign.")
            return redirect(url_for("marketing.campaign", campaign_id=campaign.id))
    return form_page(form, f"Edit {campaign.name}", _crumbs(),
                     cancel=url_for("marketing.campaign", campaign_id=campaign.id))


def _figures(campaign: Campaign) -> dict:
    rows = returns.by_campaign(EARLIEST, max(today(), campaign.ends_on or today()), campaign.id)
    return rows[0] if rows else {"spend_cents": 0, "new_patients": 0, "cost_per_new_cents": None,
                                 "charges_cents": 0, "collections_cents": 0, "return_bp": None}


class SpendRow(NamedTuple):
    """A spend entry as its campaign's page shows it: its id (for its invoice panel) and its table row."""

    id: int
    html: Markup


def _campaign_parts(campaign_id: int, form: SpendForm | None, editor: bool) -> tuple | None:
    """The campaign, its page's facts and figures, its spend entries' rows and, for an ``editor``, the spend form
    (``form`` or a blank one dated today), their CSRF token left as a slot; None when there is no such campaign."""
    campaign = next(iter(prepared.run(_CAMPAIGN, "marketing.campaign", id=campaign_id)), None)
    if campaign is None:
        return None
    parts = current_app.jinja_env.get_template("marketing/_campaign.html").module
    head = parts.head(campaign, CHANNELS.get(campaign.channel, campaign.channel), _figures(campaign), editor)
    spend = tuple(SpendRow(row.id, Markup(parts.spend_row(row._replace(spent_on=as_date(row.spent_on)))))
                  for row in prepared.run(_SPEND, "marketing.campaign.spend", campaign=campaign.id))
    form_html = slotted(parts.spend_form(form or SpendForm(formdata=None, spent_on=today()), campaign)) if editor else ""
    return campaign, str(head), spend, form_html


def _campaign_page(campaign_id: int, form: SpendForm | None = None, status: int = 200):
    """A campaign's page, kept for everyone until spend or campaigns (or new patients' figures) change but the
    invoices' panels (drawn for each user), except with a refused ``form``."""
    editor = can("marketing.edit")

    def build():
        return _campaign_parts(campaign_id, form, editor)

    parts = build() if form is not None else kept_part((MARKETING_FIGURES.key,),
                                                       ("campaign", campaign_id, today(), editor), build)
    if parts is None:
        abort(404)
    campaign, head, spend, form_html = parts
    return render_page("marketing/campaign.html", title=campaign.name, head=Markup(head), spend=spend,
                       spend_form=with_csrf_token(form_html), breadcrumbs=[*_crumbs(), (campaign.name, None)]), status


@bp.route("/campaigns/<int:campaign_id>")
@requires("marketing.view")
def campaign(campaign_id: int):
    """A campaign: its spend with invoices, new patients, cost per new patient and return."""
    return _campaign_page(campaign_id)


@bp.route("/campaigns/<int:campaign_id>/spend", methods=["POST"])
@requires("marketing.edit")
def spend_add(campaign_id: int):
    """Record spend on the campaign, with its invoice when one is attached (all or nothing)."""
    campaign = _campaign(campaign_id)
    form = SpendForm()
    if not form.validate_on_submit():
        return _campaign_page(campaign.id, form, 422)
    upload = request.files.get("invoice")
    try:
        with transaction():
            entry = add_spend(campaign, form.spent_on.data, form.amount.data, form.vendor.data,
                              form.description.data or "", username())
            if upload and upload.filename:
                files.attach("marketing", "spend", entry.id, "marketing.invoice", upload.stream, upload.filename)
    except SourceError as exc:
        getattr(form, exc.field, form.amount).errors.append(str(exc))
        return _campaign_page(campaign.id, form, 422)
    except files.FileError as exc:
        form.invoice.errors.append(str(exc))
        return _campaign_page(campaign.id, form, getattr(exc, "status", 422))
    notify("Recorded the spend.")
    return redirect(url_for("marketing.campaign", campaign_id=campaign.id))


# --- referring providers -------------------------------------------------------------------------

@cache
def _referred_query(size: int):
    """New patients per referrer of a page of ``size`` referrers (slots ``id0``...), in all and in the years from
    ``year``, added up from the kept years (counting every referral from the index cost 0.9 ms on the large
    demo's 12,500 referrals)."""
    kept = ReferrerYear.new_patients
    return (ReferrerYear.select(ReferrerYear.referring_provider_id, fn.SUM(kept),
                                fn.SUM(Case(None, [(ReferrerYear.year >= slot("year"), kept)], 0)))
            .where(ReferrerYear.referring_provider_id.in_([slot(f"id{n}") for n in range(size)]))
            .group_by(ReferrerYear.referring_provider_id).tuples())


def _referred(providers, year: int) -> dict[int, tuple[int, int]]:
    """Provider id -> (new patients sent in ``year`` or later, in all), for a page of providers."""
    ids = {f"id{n}": p.id for n, p in enumerate(providers)}
    return {} if not ids else {
        provider_id: (int(this_year or 0), int(in_all or 0)) for provider_id, in_all, this_year in
        prepared.run(_referred_query(len(ids)), ("marketing.referred", len(ids)), year=year, **ids)}


@bp.route("/referrers")
@requires("marketing.view")
def referrers():
    """Referring providers with how many new patients each sent this year and in all."""
    edit = url_template("marketing.referrer_edit", "provider_id") if can("marketing.edit") else None
    year = today().year
    table = paginate(
        ReferringProvider.select(), id="referrers-table", key="marketing.referrers",
        kept_by=REFERRERS.key, kept_with=(edit is not None, year),  # names link to their edit page for editors
        columns=[TableColumn("name", "Name", sort=ReferringProvider.name, link=(lambda p: edit(p.id)) if edit else None),
                 TableColumn("practice", "Practice", sort=ReferringProvider.practice),
                 TableColumn("this_year", "This year", kind="number", value=lambda p: p.counts[0]),
                 TableColumn("all_time", "In all", kind="number", value=lambda p: p.counts[1])],
        search=lambda text: (ReferringProvider.name ** f"%{text}%") | (ReferringProvider.practice ** f"%{text}%"),
        default_sort="name", endpoint="marketing.referrers", noun="referring provider",
        noun_plural="referring providers", search_placeholder="Name or practice", empty_message="No referrers yet.")
    counts = kept(REFERRERS.key, ("referred", tuple(p.id for p in table.rows), year),
                  lambda: _referred(table.rows, year))
    for provider in table.rows:
        provider.counts = counts.get(provider.id, (0, 0))
    return render_page("marketing/referrers.html", title="Referring providers", table=table,
                       breadcrumbs=[("Referring providers", None)])


@bp.route("/referrers/new", methods=["GET", "POST"])
@requires("marketing.edit")
def referrer_new():
    """Add a referring provider."""
    form = ReferrerForm()
    if form.validate_on_submit():
        try:
            save_provider(form_values(form))
        except SourceError as exc:
            getattr(form, exc.field, form.name).errors.append(str(exc))
        else:
            notify("Added the referring provider.")
            return redirect(url_for("marketing.referrers"))
    return form_page(form, "New referring provider", [("Referring providers", url_for("marketing.referrers"))],
                     cancel=url_for("marketing.referrers"))


@bp.route("/referrers/<int:provider_id>/edit", methods=["GET", "POST"])
@requires("marketing.edit")
def referrer_edit(provider_id: int):
    """Change a referring provider; send them a thank-you e-mail."""
    if request.method == "GET":
        provider, sent = kept_part((REFERRERS.key,), ("referrer", provider_id, today().year),
                                   lambda: _referrer_and_sent(provider_id))
        if provider is None:
            abort(404)
        form_html = kept_form((REFERRERS.key,), (provider.id,), lambda: ReferrerForm(obj=provider), submit="Save",
                              cancel=url_for("marketing.referrers"))
        return _referrer_page(provider, sent, form_html=form_html)
    provider = ReferringProvider.get_or_none(ReferringProvider.id == provider_id) or abort(404)
    form = ReferrerForm(obj=provider)
    if form.validate_on_submit():
        try:
            save_provider(form_values(form), provider)
        except SourceError as exc:
            getattr(form, exc.field, form.name).errors.append(str(exc))
        else:
            notify("Saved the referring provider.")
            return redirect(url_for("marketing.referrers"))
    return _referrer_page(provider, _sent_this_year(provider), form=form), (422 if form.errors else 200)


def _referrer_and_sent(provider_id: int) -> tuple[ReferringProvider | None, int]:
    """The referring provider (None when there is none) and the new patients they sent this year."""
    provider = ReferringProvider.get_or_none(ReferringProvider.id == provider_id)
    return provider, _sent_this_year(provider) if provider else 0


def _referrer_page(provider: ReferringProvider, sent: int, **form):
    """A referring provider's page: the new patients they ``sent`` this year, the thank-you button, and their
    details' ``form`` (a submitted one) or ``form_html`` (the unsubmitted one, kept)."""
    return render_page("marketing/referrer.html", title=provider.name, provider=provider, sent=sent, **form,
                       breadcrumbs=[("Referring providers", url_for("marketing.referrers")), (provider.name, None)])


def _sent_this_year(provider: ReferringProvider) -> int:
    """New patients the provider sent this year (or dated later), from the kept years."""
    return _referred([provider], today().year).get(provider.id, (0, 0))[0]


def thank_you_text(provider: ReferringProvider, sent: int, practice: str) -> tuple[str, str]:
    """The thank-you e-mail's subject and body: a count, never a patient."""
    subject = f"Thank you from {practice or 'our practice'}"
    body = (f"Dear {provider.name},\n\nThank you for the trust you have shown us: you referred {sent} "
            f"patient{'' if sent == 1 else 's'} to us this year. We are glad to work with you.\n\n"
            f"With our thanks,\n\n{practice}\n")
    return subject, body


@bp.route("/referrers/<int:provider_id>/thank", methods=["POST"])
@requires("marketing.edit")
def referrer_thank(provider_id: int):
    """Queue a thank-you e-mail through core's messages (it names how many patients, never who)."""
    provider = ReferringProvider.get_or_none(ReferringProvider.id == provider_id) or abort(404)
    subject, body = thank_you_text(provider, _sent_this_year(provider), settings.get("core.practice_name") or "")
    try:
        messages.queue_staff(messages.address(provider.email, provider.name), subject, body)
    except messages.Refused as refused:
        notify(refused.reason, "error")
    else:
        notify("The thank-you e-mail is in the outbox.")
    return redirect(url_for("marketing.referrer_edit", provider_id=provider.id))

