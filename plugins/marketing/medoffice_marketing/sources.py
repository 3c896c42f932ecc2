"""Where patients come from: referring providers, campaigns with their spend, and each new patient's
source. Changes are audited; a spend entry is published as ``marketing.spend_recorded`` so finance
(when on) can book it as a bill without importing this plugin."""
from __future__ import annotations

import datetime as dt
import re

from medoffice import audit
from medoffice.db import transaction
from medoffice.events import publish
from medoffice.models import Patient

from .models import CHANNELS, Campaign, PatientSource, ReferringProvider, SpendEntry
from .sourcedays import NO_CAMPAIGN, keep_referrer, keep_source, referrer_key, source_key

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,29}$")


class SourceError(ValueError):
    """A value was refused; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def normal_code(code: str) -> str:
    """A campaign code as stored and matched: upper case, no surrounding spaces."""
    return (code or "").strip().upper()


def save_campaign(values: dict, campaign: Campaign | None = None) -> Campaign:
    """Create or change a campaign (audited with the fields that changed).

    :raises SourceError: an unknown channel, a malformed or taken code, dates that run backwards.
    """
    code = normal_code(values["code"])
    if not CODE.match(code):
        raise SourceError("Use 2 to 30 letters, digits, dashes or underscores.", "code")
    if values["channel"] not in CHANNELS:
        raise SourceError("Choose a channel from the list.", "channel")
    if values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise SourceError("The campaign cannot end before it starts.", "ends_on")
    if values.get("budget_cents", 0) < 0:
        raise SourceError("A budget cannot be negative.", "budget_cents")
    taken = Campaign.select().where(Campaign.code == code)
    if campaign is not None:
        taken = taken.where(Campaign.id != campaign.id)
    if taken.exists():
        raise SourceError(f"Another campaign already uses the code {code}.", "code")
    fields = {"name": values["name"].strip(), "channel": values["channel"], "code": code,
              "starts_on": values["starts_on"], "ends_on": values.get("ends_on"),
              "target": (values.get("target") or "").strip(), "budget_cents": values.get("budget_cents") or 0}
    with transaction():
        if campaign is None:
            campaign = Campaign.create(**fields)
            audit.record("marketing.campaign.create", "marketing_campaign", campaign.id,
                         detail={"code": code, "channel": fields["channel"]})
        else:
            changes = {k: {"before": str(getattr(campaign, k)), "after": str(v)} for k, v in fields.items()
                       if getattr(campaign, k) != v}
            Campaign.update(**fields).where(Campaign.id == campaign.id).execute()
            audit.record("marketing.campaign.update", "marketing_campaign", campaign.id, detail={"changes": changes})
            campaign = Campaign.get_by_id(campaign.id)
    return campaign


def add_spend(campaign: Campaign, spent_on: dt.date, amount_cents: int, vendor: str, description: str,
              by: str) -> SpendEntry:
    """Record money spent on a campaign and publish it for finance, in one transaction.

    :raises SourceError: a zero or negative amount, or no vendor.
    """
    if amount_cents <= 0:
        raise SourceError("Enter an amount above zero.", "amount")
    if not vendor.strip():
        raise SourceError("Name who was paid.", "vendor")
    with transaction():
        entry = SpendEntry.create(campaign=campaign, spent_on=spent_on, amount_cents=amount_cents,
                                  vendor=vendor.strip(), description=description.strip(), created_by=by)
        audit.record("marketing.spend.create", "marketing_spend", entry.id,
                     detail={"campaign_id": campaign.id, "amount_cents": amount_cents})
        publish("marketing.spend_recorded", {
            "spend_id": entry.id, "campaign_id": campaign.id, "campaign_code": campaign.code,
            "channel": campaign.channel, "amount_cents": amount_cents, "spent_on": spent_on,
            "vendor": entry.vendor, "description": entry.description})
    return entry


def save_provider(values: dict, provider: ReferringProvider | None = None) -> ReferringProvider:
    """Create or change a referring provider (no patient data: audited as a business record)."""
    fields = {k: (values.get(k) or "").strip() for k in ("name", "practice", "npi", "email", "phone")}
    if not fields["name"]:
        raise SourceError("Enter the provider's name.", "name")
    if fields["npi"] and not re.fullmatch(r"\d{10}", fields["npi"]):
        raise SourceError("An NPI is 10 digits.", "npi")
    with transaction():
        if provider is None:
            provider = ReferringProvider.create(**fields)
            audit.record("marketing.referrer.create", "marketing_referring_provider", provider.id)
        else:
            ReferringProvider.update(**fields).where(ReferringProvider.id == provider.id).execute()
            audit.record("marketing.referrer.update", "marketing_referring_provider", provider.id,
                         detail={"changed": sorted(k for k, v in fields.items() if getattr(provider, k) != v)})
            provider = ReferringProvider.get_by_id(provider.id)
    return provider


def source_of(patient_id: int) -> PatientSource | None:
    """The patient's recorded source, or None."""
    return PatientSource.get_or_none(PatientSource.patient == patient_id)


def record_source(patient: Patient, *, channel: str, new_on: dt.date, campaign_code: str = "",
                  referring_provider_id: int | None = None, referring_account: str = "", detail: str = "",
                  by: str = "") -> PatientSource:
    """Record (or correct) where a new patient came from; a campaign code sets the campaign's channel.

    :raises SourceError: an unknown channel or code, a channel that needs a referrer without one.
    """
    campaign = None
    referrer = None
    referring_patient = None
    code = normal_code(campaign_code)
    if code:
        campaign = Campaign.get_or_none(Campaign.code == code)
        if campaign is None:
            raise SourceError(f"No campaign has the code {code}.", "campaign_code")
        channel = campaign.channel if channel in ("", "campaign") else channel
    if channel not in CHANNELS:
        raise SourceError("Choose where the patient heard of the practice.", "channel")
    if channel == "referring_provider":
        referrer = ReferringProvider.get_or_none(ReferringProvider.id == referring_provider_id) \
            if referring_provider_id else None
        if referrer is None:
            raise SourceError("Choose the referring provider.", "referring_provider")
    if channel == "patient_referral":
        referring_patient = Patient.get_or_none(Patient.account_number == referring_account.strip())
        if referring_patient is None or referring_patient.id == patient.id:
            raise SourceError("Enter the account number of the patient who referred them.", "referring_account")
    if channel == "campaign" and campaign is None:
        raise SourceError("Enter the campaign's code.", "campaign_code")
    fields = {"channel": channel, "campaign": campaign, "referring_provider": referrer,
              "referring_patient": referring_patient, "new_on": new_on, "detail": detail.strip()[:200],
              "recorded_by": by}
    with transaction():
        row = source_of(patient.id)
        before, referred = source_key(row), referrer_key(row)
        if row is None:
            row = PatientSource.create(patient=patient, **fields)
            action = "marketing.source.create"
        else:
            PatientSource.update(**fields).where(PatientSource.id == row.id).execute()
            action = "marketing.source.update"
        keep_source(patient.id, before, (new_on, channel, campaign.id if campaign else NO_CAMPAIGN))
        keep_referrer(referred, (referrer.id, new_on.year) if referrer else None)
        audit.record(action, "marketing_patient_source", row.id, patient_id=patient.id,
                     detail={"channel": channel, "campaign_id": campaign.id if campaign else None,
                             "referring_provider_id": referrer.id if referrer else None})
    return PatientSource.get_by_id(row.id)
