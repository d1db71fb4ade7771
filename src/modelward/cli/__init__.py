"""Command line and interfaces: thin shells over the Python API."""
