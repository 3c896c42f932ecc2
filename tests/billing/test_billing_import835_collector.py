"""The 835 import pauses Python's cyclic garbage collector while it posts (hundreds of thousands of acyclic
objects for a large file) and leaves it as it found it, whether the file posts or is refused."""
from __future__ import annotations

import gc

import pytest
from billing_setup import database
from remit_setup import claims_from_remittance, read_sample

from medoffice_billing import posting, x12

TWO = "835_two_claims_claim_and_line_cas.x12"


@pytest.fixture
def collector():
    """Restore the collector's state after the test, whatever it did."""
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False], ids=["on before", "off before"])
def test_the_import_posts_with_the_collector_paused_and_leaves_it_as_it_was(app, monkeypatch, collector, enabled):
    with database(app):
        claims_from_remittance(x12.parse_835(read_sample(TWO))[0])
    during = []
    post_all = posting.Poster.post_all
    monkeypatch.setattr(posting.Poster, "post_all", lambda self, *a, **k: during.append(gc.isenabled())
                        or post_all(self, *a, **k))
    (gc.enable if enabled else gc.disable)()
    with app.app_context():
        result = posting.import_835(read_sample(TWO), TWO)
    assert during == [False]
    assert gc.isenabled() is enabled
    with database(app):
        assert result.totals()["claims_matched"] == 2


def test_a_refused_file_leaves_the_collector_on(app, collector):
    gc.enable()
    with app.app_context(), pytest.raises(posting.RemitRefused):
        posting.import_835("Dear billing office, please find our payment enclosed.")
    assert gc.isenabled()


def test_overlapping_imports_share_one_pause_and_the_last_puts_the_collector_back(collector):
    gc.enable()
    first, second = posting._without_cycle_collection(), posting._without_cycle_collection()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second import is still running
    second.__exit__(None, None, None)
    assert gc.isenabled()
