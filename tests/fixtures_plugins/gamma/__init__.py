"""gamma: soft dependencies only (one installed, one absent), never required."""
from medoffice import PluginInfo

PLUGIN = PluginInfo("gamma", "Gamma", uses=("beta", "absent"))
