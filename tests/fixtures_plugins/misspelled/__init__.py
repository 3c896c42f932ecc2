"""misspelled: a hookimpl whose name matches no hookspec (must fail start-up loudly)."""
from medoffice import NavItem, PluginInfo, hookimpl

PLUGIN = PluginInfo("misspelled", "Misspelled")


@hookimpl
def medoffice_nav_itemz():
    return [NavItem("Lost", "misspelled.lost", "misspelled.lost.view")]
