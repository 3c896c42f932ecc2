"""The compliance plugin: credentialing, the HIPAA program, privacy rights, breaches and screening."""
