"""The billing plugin passes core's plugin contract (names, migrations, routes, permissions, templates)."""
from medoffice.testing import plugin_contract_test

test_billing_contract = plugin_contract_test("billing")
