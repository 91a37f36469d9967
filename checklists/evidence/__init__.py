"""Storage for evidence files: type checks, secret scan, encryption at rest.

The public API is in `checklists.evidence.storage`; the file format is in `crypto`.
"""
