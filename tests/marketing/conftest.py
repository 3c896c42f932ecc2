"""Marketing's test fixtures."""
from __future__ import annotations

import pytest


@pytest.fixture
def mk_app(make_app):
    """The marketing plugin alone, CSRF on as in production."""
    return make_app(plugins=["marketing"], csrf=True)
