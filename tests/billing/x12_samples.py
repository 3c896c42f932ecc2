"""The public 837P/835 sample files, copied with their sources and licenses into tests/data/x12."""
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "x12"
NOT_IG_VALID = "835_secondary_payment_NOT_IG_VALID_lfh.x12"
SAMPLE_835 = sorted(p.name for p in SAMPLES.glob("835_*.x12"))
VALID_835 = [name for name in SAMPLE_835 if name != NOT_IG_VALID]


def read_sample(name: str) -> str:
    """The text of one sample file (read only; validators write beside their input, so never here)."""
    return (SAMPLES / name).read_text(encoding="ascii")
