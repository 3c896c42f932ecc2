"""The messages pages, on core's blueprint: the mail server with a test message (``server_page``),
the outbox with retries and letters (``outbox_pages``), template wording with a preview for one
recipient (``template_pages``), and the consent card on a patient's page with unsubscribe
requests (``consent_pages``). Reads of patient data are audited; nothing is sent from a request:
the test message goes out from a background task, everything else from the delivery job.
"""
from . import consent_pages, outbox_pages, server_page, template_pages  # noqa: F401  (they register routes)
