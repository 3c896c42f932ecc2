"""Hooks billing publishes for other plugins (registered by ``medoffice_add_hookspecs`` in plugin.py).

A plugin implements one without importing billing: a function of the same name, decorated
``@hookimpl(optionalhook=True)`` so it still loads when billing is absent.
"""
from medoffice.hookspecs import hookspec


@hookspec
def billing_claim_holds(claims):
    """Say why claims must be held before they go out (a provider's lapsed licence, no enrollment
    with the payer...). Called by the scrubber once per batch of claims it checks.

    :param claims: a list of dicts of plain values, one per claim: ``claim_id``, ``rendering_npi``,
        ``billing_npi``, ``payer_id`` (the clearinghouse payer id), ``service_date`` (a
        ``datetime.date``) and ``service_state`` (two letters, "" when unknown).
    :returns: a list of ``(claim_id, reason)`` pairs; each reason shows on the claim as an error that keeps it
        from becoming ready or being sent, until the cause is fixed and the claim is scrubbed again.
    """


@hookspec
def billing_expected_collections(as_of, horizon_days):
    """Say what billing expects to collect within ``horizon_days`` after ``as_of`` (finance's cash
    forecast asks; billing answers it itself).

    :returns: a list of dicts of plain values, one per party (insurance, patient) and aging bucket:
        ``party``, ``bucket`` ("0-30" ... "120+"), ``balance_cents`` owed on ``as_of``, ``rate_bp``
        (the share of such balances collected over the same span last time, in basis points) and
        ``expected_cents``.
    """
