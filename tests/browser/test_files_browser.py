"""The files widget in a real browser: drop a picture on the example plugin's greetings page, choose two
more with the file chooser, see a too-large one refused before it is sent, preview and remove one."""
from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

from medoffice.files.demo import card_png


def test_upload_by_drop_and_chooser_then_preview_and_remove_with_a_reason(admin_page):
    page = admin_page
    page.goto("/hello/")
    panel = page.locator("section.attachments", has_text="Pictures for the board")
    expect(panel).to_contain_text("No files yet.")

    # Drag and drop: the drop zone takes the files and sends them at once.
    dropped = base64.b64encode(card_png(band=(200, 40, 40))).decode()
    transfer = page.evaluate_handle("""(file) => {
        const bytes = Uint8Array.from(atob(file.b64), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], file.name, {type: "image/png"}));
        return transfer;
    }""", {"b64": dropped, "name": "red-card.png"})
    panel.locator("[data-drop-zone]").dispatch_event("drop", {"dataTransfer": transfer})
    expect(panel.locator(".file-notice")).to_have_text("Uploaded “red-card.png”.")
    expect(panel.locator("table.files-table tbody tr")).to_have_count(1)

    # The file chooser, two at once; what the page says comes from the server, not the names.
    panel.get_by_label("Add files").set_input_files([
        {"name": "team.png", "mimeType": "image/png", "buffer": card_png(band=(40, 160, 40))},
        {"name": "looks-like.pdf", "mimeType": "application/pdf", "buffer": card_png(band=(40, 40, 200))},
    ])
    expect(panel.locator(".file-notice")).to_have_text("Uploaded “team.png”, “looks-like.pdf”.")
    rows = panel.locator("table.files-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="looks-like.pdf")).to_contain_text("PNG image")
    expect(rows.first).to_contain_text("Admin")

    # Too large for the kind (5 MB): refused in the page before anything is sent.
    panel.get_by_label("Add files").set_input_files(
        [{"name": "poster.png", "mimeType": "image/png", "buffer": card_png() + b"\0" * (5 * 1024 * 1024)}])
    expect(panel.locator(".file-problem")).to_have_text(
        "“poster.png” is larger than 5 MB, the limit for these files. Nothing was uploaded.")
    expect(rows).to_have_count(3)

    with page.expect_popup() as opened:
        rows.filter(has_text="team.png").get_by_role("link", name=re.compile("^Preview")).click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator("img")).to_be_visible()  # the browser shows the picture itself
    preview.close()

    row = rows.filter(has_text="red-card.png")
    row.locator("summary").click()
    row.get_by_label("Reason for removing").fill("Posted by mistake")
    row.get_by_role("button", name="Remove file").click()
    expect(panel.locator(".file-notice")).to_have_text("Removed “red-card.png”.")
    expect(panel.locator("table.files-table tbody tr")).to_have_count(2)
    panel.locator(".files-removed summary").click()
    expect(panel.locator(".files-removed")).to_contain_text("Reason: Posted by mistake")
