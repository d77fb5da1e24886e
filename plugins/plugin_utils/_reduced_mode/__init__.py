"""_reduced_mode: to be described."""
