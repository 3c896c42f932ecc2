"""Shared test configuration. Fixtures come from medoffice.testing (a pytest11 plugin)."""
from hypothesis import settings

# No time limit per example: a property holds or fails on its values, not on how busy the machine is (Hypothesis'
# default 200 ms deadline failed a pure allocation test once while two workers and a database load shared the box).
settings.register_profile("medoffice", deadline=None)
settings.load_profile("medoffice")
