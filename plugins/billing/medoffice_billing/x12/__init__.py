"""Pure-Python X12 layer of the billing plugin: 835 remittance reading and 837P claim writing.

Only the standard library is used. Money is integer cents, dates are
``datetime.date``. Both ``remit835`` and ``claim837`` define a ``ServiceLine``;
import those from their modules.
"""

from .claim837 import (
    Address,
    BillingProvider,
    Claim,
    ClaimValidationError,
    Interchange,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Provider,
    Receiver,
    ServiceFacility,
    Submitter,
    Subscriber,
    build_837p,
    check_billing_provider,
    check_claim,
)
from .remit835 import (
    Adjustment,
    ClaimPayment,
    InterchangeInfo,
    Party,
    ProviderAdjustment,
    Remittance,
    check_835,
    check_balance,
    parse_835,
    read_835,
)
from .segments import Delimiters, X12SyntaxError, join_segments, tokenize, validate_envelope

__all__ = [
    "Address", "Adjustment", "BillingProvider", "Claim", "ClaimPayment", "ClaimValidationError", "Delimiters",
    "Interchange", "InterchangeInfo", "LineAdjudication", "OtherPayer", "Party", "Patient", "Payer", "Provider",
    "ProviderAdjustment", "Receiver", "Remittance", "ServiceFacility", "Submitter", "Subscriber",
    "X12SyntaxError", "build_837p", "check_835", "check_balance", "check_billing_provider", "check_claim",
    "join_segments", "parse_835", "read_835", "tokenize", "validate_envelope",
]
