"""Pictures for the greetings board, kept with core's files service (see docs/plugins.md, "Files").

The kind says what core accepts (images only, 5 MB at most) and which of the plugin's permissions
see and change them; the greetings page shows them with core's widget::

    {% from "files/widget.html" import attachments %}
    {{ attachments("hello", "board", BOARD, "hello.picture", title="Pictures for the board") }}
"""
from __future__ import annotations

from medoffice.files import IMAGES, AttachmentKind

BOARD = "main"  # the object the pictures are attached to: the one greetings board

PICTURE = AttachmentKind("hello.picture", "Board pictures", view="hello.greetings.view",
                         manage="hello.greetings.edit", types=IMAGES, max_mb=5,
                         description="Photos and drawings pinned to the greetings board.")
