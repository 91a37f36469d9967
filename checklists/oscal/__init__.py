"""OSCAL exports: the control catalog as an OSCAL catalog, a team's checklist for a quarter as
OSCAL assessment results.

Both are built with compliance-trestle's models, written as RFC 8785 canonical JSON and read
back through the same models before anyone gets them. Nothing in them comes from the clock or
from chance: identifiers are name-based UUIDs, times come from the data, so the same data gives
the same bytes and a SHA-256 of a file names its content.
"""
