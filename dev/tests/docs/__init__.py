"""The commands the user documentation shows: extracted, listed, and run as written."""
