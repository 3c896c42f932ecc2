"""Demo files: a scanned insurance card (a drawn PNG) on the first demo patients' records."""
from __future__ import annotations

import struct
import zlib

from ..contributions import DemoContext
from ..models import Patient
from .api import attach
from .hooks import PATIENT_DOCUMENT

CARD_PATIENTS = 3


def card_png(width: int = 340, height: int = 214, band: tuple[int, int, int] = (31, 94, 160)) -> bytes:
    """A plain picture of a card: white, with a coloured band at the top and two grey "text" lines."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type: none
        for x in range(width):
            if y < height // 4:
                pixel = band
            elif (y in range(height // 2, height // 2 + 8) and 20 <= x < width - 80) or \
                    (y in range(height // 2 + 24, height // 2 + 32) and 20 <= x < width // 2):
                pixel = (150, 150, 150)
            else:
                pixel = (255, 255, 255)
            row += bytes(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def demo_files(ctx: DemoContext) -> None:
    """Attach an insurance card to each of the first few patients (a different colour each)."""
    patients = Patient.select(Patient.id).order_by(Patient.id).limit(CARD_PATIENTS)
    for number, patient in enumerate(patients):
        band = (31 + 60 * number, 94, 160 - 40 * number)
        attach("core", "patient", patient.id, PATIENT_DOCUMENT.name, card_png(band=band), "insurance-card-front.png")
