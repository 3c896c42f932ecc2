"""Marketing and patient experience: a medoffice plugin."""
