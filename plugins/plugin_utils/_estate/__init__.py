"""_estate: to be described."""
