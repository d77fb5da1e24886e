"""_firewall: to be described."""
