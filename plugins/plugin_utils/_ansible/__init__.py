"""_ansible: to be described."""
