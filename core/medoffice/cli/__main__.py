"""``python -m medoffice.cli`` runs the same command as ``medoffice``."""
from . import main

main()
