"""Shared test configuration. Fixtures come from medoffice.testing (a pytest11 plugin)."""
