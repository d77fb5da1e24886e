"""_reports: to be described."""
