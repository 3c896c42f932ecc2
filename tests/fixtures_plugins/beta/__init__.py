"""beta: requires alpha and implements alpha's hook without importing alpha."""
from medoffice import Permission, PluginInfo, hookimpl

PLUGIN = PluginInfo("beta", "Beta reconciler", version="0.3.0", description="Reconciles payments.",
                    requires=("alpha",))


@hookimpl
def alpha_payment_posted(payment_id, amount_cents):
    return f"beta reconciled payment {payment_id} of {amount_cents} cents"


@hookimpl
def medoffice_permissions():
    return [Permission("beta.reconcile.run", "Reconcile payments")]
