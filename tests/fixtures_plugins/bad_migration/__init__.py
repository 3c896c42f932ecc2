"""bad_migration: its first migration fails halfway (after creating a table)."""
from medoffice import PluginInfo

PLUGIN = PluginInfo("bad_migration", "Bad migration")
