"""tus endpoints and /media/<sha256>: thin views over service.py."""
