from checklists.models.catalog import (
    Category,
    Control,
    EquivalenceGroup,
    OwaspReference,
    OwaspStandard,
    Provider,
    Severity,
    Source,
    SourceKind,
)

__all__ = [
    "Category",
    "Control",
    "EquivalenceGroup",
    "OwaspReference",
    "OwaspStandard",
    "Provider",
    "Severity",
    "Source",
    "SourceKind",
]
