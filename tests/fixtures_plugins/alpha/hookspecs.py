"""The hook alpha publishes for other plugins."""
from medoffice.hookspecs import hookspec


@hookspec
def alpha_payment_posted(payment_id, amount_cents):
    """A payment was posted; return a note about what you did with it."""
