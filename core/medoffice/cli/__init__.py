"""The ``medoffice`` command. Each module in this package adds its commands to ``main``;
plugins add theirs through the ``medoffice_cli_commands`` hook.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from functools import lru_cache

import click

from ..filemodes import restrict_umask


@lru_cache(maxsize=1)
def _plugin_commands() -> dict[str, click.Command]:
    from ..plugins import PluginHost

    host = PluginHost()
    commands = {}
    for plugin in host.ordered():
        for command in host.call_for(plugin.name, "medoffice_cli_commands"):
            commands[command.name] = command
    return commands


QUIET_LOGGERS = ("peewee.migrations", "medoffice.migrate", "medoffice.scheduler", "apscheduler")


class MedofficeCLI(click.Group):
    """The root group: built-in commands plus those of installed plugins."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(_plugin_commands()))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or _plugin_commands().get(name)


@click.group(cls=MedofficeCLI, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--instance", "instance", envvar="MEDOFFICE_INSTANCE", type=click.Path(file_okay=False),
              help="Instance folder (default ./instance; or MEDOFFICE_INSTANCE).")
@click.option("--verbose", "-v", is_flag=True, envvar="MEDOFFICE_VERBOSE",
              help="Also log each migration applied and each scheduled job run (INFO; or MEDOFFICE_VERBOSE=1).")
@click.pass_context
def main(ctx, instance, verbose):
    """medoffice: the medical office manager's local server."""
    restrict_umask()  # whatever this process and its libraries create is private to its account
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:
        # Routine chatter (every migration step, the scheduler every 30 s) buries what matters.
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    ctx.obj = {"instance": instance}


for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("context", "__main__"):
        importlib.import_module(f"{__name__}.{_module.name}").register(main)
