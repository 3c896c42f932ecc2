"""Sealed fields open only for their own row and field, and only with the instance's key."""
from __future__ import annotations

import pytest
from flask import Flask

from medoffice_hr import sealing


@pytest.fixture
def keyed():
    app = Flask("hr-sealing")
    app.config["BACKUP_KEY"] = "k" * 40
    with app.app_context():
        yield app


def test_a_sealed_value_opens_only_where_it_was_sealed(keyed):
    stored = sealing.seal(7, "ssn", "123-45-6789")
    assert stored.startswith("hr1:") and "6789" not in stored
    assert sealing.unseal(7, "ssn", stored) == "123-45-6789"
    assert sealing.seal(7, "ssn", "123-45-6789") != stored  # a fresh nonce each time
    with pytest.raises(sealing.SealError):
        sealing.unseal(8, "ssn", stored)  # copied into another person's row
    with pytest.raises(sealing.SealError):
        sealing.unseal(7, "bank_account", stored)  # or into another field
    keyed.config["BACKUP_KEY"] = "x" * 40
    with pytest.raises(sealing.SealError):
        sealing.unseal(7, "ssn", stored)
    assert sealing.seal(7, "ssn", "") == "" and sealing.unseal(7, "ssn", "") == ""
