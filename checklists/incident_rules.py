"""Rules of the credential inventory, incident contacts and incidents, as pure functions: each
returns a sentence for the person who asked (or None, or a list of them), never touching rows."""

import re
from collections.abc import Mapping
from datetime import date, datetime

from checklists.models.credentials import EXPOSURE_QUESTIONS, CredentialKind, Environment, Exposure
from checklists.models.incidents import Channel, IncidentStatus
from checklists.schedule import MAX_INTERVAL_DAYS

# --- Credentials ---------------------------------------------------------------------------


def credential_problems(
    *,
    name: str,
    kind: str,
    environment: str,
    kept_in: str,
    rotation_interval_days: int | None,
    created_on: date,
    last_rotated_on: date | None,
    exposures: Mapping[str, str],
    today: date,
) -> list[str]:
    problems = []
    if not name.strip():
        problems.append("Give the credential a name.")
    if kind not in CredentialKind.values:
        problems.append("Choose what kind of credential this is.")
    if environment not in Environment.values:
        problems.append("Choose the environment the credential is for.")
    if not kept_in.strip():
        problems.append(
            "Say where the secret is kept: the secrets-manager path or environment variable."
        )
    if not rotation_interval_days or not 1 <= rotation_interval_days <= MAX_INTERVAL_DAYS:
        problems.append(f"Give the rotation interval in days, from 1 to {MAX_INTERVAL_DAYS}.")
    if created_on > today:
        problems.append("The day the credential was created cannot be in the future.")
    if last_rotated_on is not None:
        if last_rotated_on > today:
            problems.append("The day of the last rotation cannot be in the future.")
        elif last_rotated_on < created_on:
            problems.append("The last rotation cannot be before the credential was created.")
    for field, answer in exposures.items():
        if field not in EXPOSURE_QUESTIONS or answer not in Exposure.values:
            problems.append(f"Answer “{EXPOSURE_QUESTIONS.get(field, field)}”.")
    return problems


def exposure_warnings(credential) -> list[str]:
    """The exposure questions answered yes: each means the secret may be known to others."""
    return [
        question
        for field, question in EXPOSURE_QUESTIONS.items()
        if getattr(credential, field) == Exposure.YES
    ]


def why_retired(retired_at: datetime | None) -> str | None:
    if retired_at is not None:
        return f"This credential was retired on {retired_at:%-d %B %Y}; it no longer changes."
    return None


# --- Incident contacts ---------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9 ]{4,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def contact_address_problem(channel: str, address: str) -> str | None:
    address = address.strip()
    if channel not in Channel.values:
        return "Choose how to reach the contact."
    if not address:
        return "Give the address, number or handle."
    if channel == Channel.EMAIL and not _EMAIL.match(address):
        return "Give an e-mail address, like security@example.com."
    if channel == Channel.PHONE and not _PHONE.match(address):
        return "Give a phone number: digits and spaces, optionally starting with +."
    return None


# --- Incidents -----------------------------------------------------------------------------

_ORDER = [IncidentStatus.OPEN, IncidentStatus.CONTAINED, IncidentStatus.RESOLVED]


def status_change_problem(*, current: str, new: str, reason: str) -> str | None:
    """Forward along open → contained → resolved → closed; back from resolved to open with a
    reason; closed is final."""
    if new not in IncidentStatus.values:
        return "Choose a status."
    if current == IncidentStatus.CLOSED:
        return "This incident is closed; a closed incident is final."
    if new == current:
        return f"The incident is already {IncidentStatus(current).label.lower()}."
    if current == IncidentStatus.RESOLVED and new == IncidentStatus.OPEN:
        if not reason.strip():
            return "Say why the incident is opened again: a reason is required."
        return None
    rank = [*_ORDER, IncidentStatus.CLOSED]
    if rank.index(new) < rank.index(current):
        return (
            f"An incident cannot go back from {IncidentStatus(current).label.lower()} to "
            f"{IncidentStatus(new).label.lower()}; only a resolved incident can be opened again."
        )
    if new == IncidentStatus.CLOSED and current != IncidentStatus.RESOLVED:
        return "Resolve the incident before closing it."
    return None


def why_incident_closed(status: str) -> str | None:
    if status == IncidentStatus.CLOSED:
        return "This incident is closed; nothing more can be added to it."
    return None


def step_done_problem(*, done_at: datetime | None) -> str | None:
    if done_at is not None:
        return f"This step was already marked done on {done_at:%-d %B %Y %H:%M}."
    return None


def informed_problem(
    *, informed_at: datetime | None, already: datetime | None, now: datetime
) -> str | None:
    if already is not None:
        return (
            f"The provider was already recorded as informed on {already:%-d %B %Y %H:%M}; "
            "that record does not change."
        )
    if informed_at is None:
        return "Give the date and time the provider was informed."
    if informed_at > now:
        return "The time the provider was informed cannot be in the future."
    return None
