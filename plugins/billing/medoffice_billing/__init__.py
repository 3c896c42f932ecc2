"""medoffice billing and collections: payers, coverage, charge capture, claims and the scrubber.

The plugin module is ``medoffice_billing.plugin``; the pure X12 layer lives in ``x12``.
"""
