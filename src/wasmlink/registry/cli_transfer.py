"""Command-line parsers of the registry commands (see cli.py); filled in by its module's owner."""
from __future__ import annotations


def add_parsers(commands) -> None:
    """Add this module's subcommands to the top-level commands subparsers."""
