"""The contract every plugin runs: names, migrations, navigation, permissions, templates, jobs."""
from medoffice.testing import plugin_contract_test

test_contract = plugin_contract_test("hello", plugins=["hello"])
