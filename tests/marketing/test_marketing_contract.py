"""The marketing plugin passes core's plugin contract (names, migrations, routes, permissions, templates)."""
from medoffice.testing import plugin_contract_test

test_contract = plugin_contract_test("marketing")
