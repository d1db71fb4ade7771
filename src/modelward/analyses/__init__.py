"""Analyses: everything computed from summaries (never from files)."""
