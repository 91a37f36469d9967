from datetime import date

from checklists.schedule import Rule
from checklists.services.obligations import obligation_create


def make_obligation(
    team, by, title: str, due_on: date, *, owner=None, kind="custom", description=""
):
    """An obligation whose first occurrence falls due on `due_on`."""
    return obligation_create(
        team=team,
        kind=kind,
        title=title,
        rule=Rule("days", 90),
        by=by,
        owner=owner,
        starts_on=due_on,
        description=description,
    )


def open_occurrence(obligation):
    return obligation.occurrences.get(done_at__isnull=True)
