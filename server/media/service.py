"""Media logic."""

def install_release_hook():
    pass
