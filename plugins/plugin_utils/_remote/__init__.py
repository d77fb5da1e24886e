"""_remote: to be described."""
