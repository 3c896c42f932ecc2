"""``medoffice serve``: the web server (cheroot), with the scheduler unless told otherwise."""
from __future__ import annotations

import click

from .context import build_app


def register(main: click.Group) -> None:
    """Add the serve command."""

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8400, show_default=True, type=int)
    @click.option("--threads", default=16, show_default=True, type=int)
    @click.option("--no-scheduler", is_flag=True, help="Do not run scheduled jobs in this process.")
    @click.pass_context
    def serve(ctx, host, port, threads, no_scheduler):
        """Serve medoffice to the office's browsers."""
        from cheroot import wsgi

        app = build_app(ctx)
        scheduler = None
        if not no_scheduler:
            from ..scheduler import start_scheduler

            scheduler = start_scheduler(app)
        server = wsgi.Server((host, port), app, numthreads=threads, server_name="medoffice")
        click.echo(f"medoffice is serving at http://{host}:{port}/  (Ctrl+C to stop)")
        try:
            server.start()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            if scheduler is not None:
                scheduler.shutdown(wait=False)
