"""Access-review rosters: reading the CSV a system exports, the flags each account earns, and
how a roster compares with the one reviewed last time. Pure functions: no database, `today`
passed in.

The columns (header names matched case-insensitively; spaces, underscores and hyphens around
or inside them do not matter, so "Last login", "LAST_LOGIN" and "last-login" are one column,
and "E-mail" is the email column):

    account     required  the login on the system
    person      optional  who uses it; empty means nobody is named (flagged as shared)
    email       optional  the person's e-mail, matched against the team's members
    role        required  the account's role on the system
    privileged  required  yes or no
    mfa         required  yes or no
    last_login  optional  YYYY-MM-DD, empty if never
    created     optional  YYYY-MM-DD

A roster with any bad line is refused whole, every problem named by line and field.

Generic names: an account or person is generic when one of its words is one of GENERIC_NAMES.
Words are split at anything that is not a letter and between letters and digits, so "ops",
"team-ops", "admin2" and "Support Desk" are generic, while "adminah.rizal" (a person's name
that starts with "admin") and "devi.s" are not.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from checklists.evidence.scanning import TextScanner

COLUMNS = ("account", "person", "email", "role", "privileged", "mfa", "last_login", "created")
REQUIRED_COLUMNS = ("account", "role", "privileged", "mfa")
COLUMN_HELP = {
    "account": "The login on the system. Required, once per roster.",
    "person": "Who uses the account. Leave empty if nobody is named: it is flagged as shared.",
    "email": "The person's e-mail, matched against the team's members in the portal.",
    "role": "The account's role on the system. Required.",
    "privileged": "yes or no: whether the role can change settings, keys or other accounts.",
    "mfa": "yes or no: whether the account signs in with a second factor.",
    "last_login": "The day of the last sign-in, as YYYY-MM-DD; empty if never.",
    "created": "The day the account was created, as YYYY-MM-DD; may be empty.",
}
SAMPLE = (
    "account,person,email,role,privileged,mfa,last_login,created\n"
    "siti.rahma,Siti Rahma,siti@kopikita.example,Finance viewer,no,yes,2026-11-28,2024-03-01\n"
    "budi.s,Budi Santoso,budi@kopikita.example,Administrator,yes,yes,2026-12-01,2023-07-15\n"
    "ops,,,Refund operator,yes,no,,2022-01-10\n"
)
MAX_LENGTHS = {"account": 200, "person": 200, "email": 254, "role": 120}

GENERIC_NAMES = frozenset(
    (
        "admin",
        "administrator",
        "ops",
        "team",
        "test",
        "shared",
        "support",
        "root",
        "service",
        "dev",
        "finance",
        "generic",
    )
)
DORMANT_AFTER_DAYS = 90
MAX_ERRORS = 50
YES = frozenset(("yes", "y", "true", "1"))
NO = frozenset(("no", "n", "false", "0"))
_WORDS = re.compile(r"[^\W\d_]+|\d+")
_SEPARATORS = re.compile(r"[\s_-]+")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHOWN = 40


class RosterRefused(Exception):
    """The roster cannot be imported; `problems` says why, one sentence each."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Row:
    line: int
    account: str
    person: str
    email: str
    role: str
    privileged: bool
    mfa: bool
    last_login: date | None
    created: date | None


@dataclass(frozen=True)
class Flags:
    shared: bool
    dormant: bool
    privileged_without_mfa: bool
    not_a_member: bool


# --- Reading ---------------------------------------------------------------------------------


_BY_KEY = {name.replace("_", ""): name for name in COLUMNS}


def column_name(header: str) -> str:
    """A header cell as the column it names ("Last login", "LAST_LOGIN", "E-mail" →
    "last_login", "last_login", "email"), or as it was typed when it names none."""
    key = _SEPARATORS.sub("", header.lower())
    return _BY_KEY.get(key, key and header.strip())


def _shown(value: str) -> str:
    """A cell as quoted in an error, cut short."""
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def size_problem(size: int, limit: int) -> str | None:
    if size > limit:
        return (
            f"The file is {size:,} bytes; a roster may be at most {limit:,} bytes. "
            "Split the system's accounts or leave out columns the portal does not read."
        )
    return None


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RosterRefused(
            [
                f"The file is not UTF-8 text: line {line} "
                "holds a character that cannot be read. Save it as “CSV UTF-8” and upload it "
                "again."
            ]
        ) from None
    if not text.strip():
        raise RosterRefused(
            ["The file is empty: it needs a header line and a line for each account."]
        )
    return text


def secret_problem(text: str) -> str | None:
    """The first line that looks like it holds a live credential, named (never quoted)."""
    scanner = TextScanner()
    finding = scanner.feed(text) or scanner.finish()
    if finding is None:
        return None
    return (
        f"Line {finding.line} looks like it holds {finding.kind}; remove it and upload the "
        "roster again — the portal must never hold live credentials."
    )


def _header(cells: list[str]) -> list[str]:
    names = [column_name(cell) for cell in cells]
    problems = []
    unnamed = [str(position) for position, name in enumerate(names, 1) if not name]
    if unnamed:
        problems.append(f"Line 1: column {', '.join(unnamed)} has no name.")
    unknown = [
        _shown(cell.strip())
        for cell, name in zip(cells, names, strict=True)
        if name and name not in COLUMNS
    ]
    if unknown:
        problems.append(
            f"Line 1: unknown column {', '.join(unknown)}. The columns are: {', '.join(COLUMNS)}."
        )
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        problems.append(f"Line 1: column {', '.join(twice)} appears more than once.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(
            f"Line 1: missing column {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED_COLUMNS)})."
        )
    if len(cells) == 1 and ";" in cells[0]:
        problems.append("Line 1: separate the columns with commas, not semicolons.")
    if problems:
        raise RosterRefused(problems)
    return names


def _yes_no(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def _day(value: str) -> date | None:
    """A YYYY-MM-DD date, or None when it is not one (empty is the caller's case)."""
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _row(line: int, values: dict[str, str], problems: list[str]) -> Row | None:
    def problem(field: str, text: str) -> None:
        problems.append(f"Line {line}, field {field}: {text}")

    before = len(problems)
    for field in ("account", "role"):
        if not values[field]:
            problem(field, "required, but empty.")
    for field, most in MAX_LENGTHS.items():
        if len(values[field]) > most:
            problem(field, f"at most {most} characters, got {len(values[field])}.")
    if values["email"] and "@" not in values["email"]:
        problem("email", f"expected an e-mail address, got {_shown(values['email'])}.")
    flags = {}
    for field in ("privileged", "mfa"):
        flags[field] = _yes_no(values[field])
        if flags[field] is None:
            problem(field, f"expected yes or no, got {_shown(values[field])}.")
    days = {}
    for field in ("last_login", "created"):
        days[field] = _day(values[field]) if values[field] else None
        if values[field] and days[field] is None:
            problem(field, f"expected a date as YYYY-MM-DD, got {_shown(values[field])}.")
    if len(problems) > before:
        return None
    return Row(
        line=line,
        account=values["account"],
        person=values["person"],
        email=values["email"],
        role=values["role"],
        privileged=flags["privileged"],
        mfa=flags["mfa"],
        last_login=days["last_login"],
        created=days["created"],
    )


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_ERRORS:
        return problems
    more = len(problems) - MAX_ERRORS
    return [*problems[:MAX_ERRORS], f"…and {more} more problem{'s' if more > 1 else ''}."]


def read_roster(data: bytes, *, max_bytes: int, max_rows: int) -> list[Row]:
    """The roster's accounts, in file order; RosterRefused naming every bad line otherwise."""
    too_big = size_problem(len(data), max_bytes)
    if too_big:
        raise RosterRefused([too_big])
    text = _decode(data)
    secret = secret_problem(text)
    if secret:
        raise RosterRefused([secret])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    names: list[str] | None = None
    count = 0
    try:
        for cells in reader:
            line = reader.line_num - sum(cell.count("\n") for cell in cells)
            if not any(cell.strip() for cell in cells):
                continue
            if names is None:
                names = _header(cells)
                continue
            count += 1
            if count > max_rows:
                raise RosterRefused(
                    [
                        f"The roster has more than {max_rows:,} accounts, the most one "
                        "import takes. Split the system's accounts into several campaigns."
                    ]
                )
            if len(cells) != len(names):
                problems.append(
                    f"Line {line}: {len(cells)} cells, but the header has {len(names)} columns."
                )
                continue
            values = {name: "" for name in COLUMNS}
            values.update({name: cell.strip() for name, cell in zip(names, cells, strict=True)})
            row = _row(line, values, problems)
            if row is None:
                continue
            if row.account in seen:
                problems.append(
                    f"Line {line}, field account: {_shown(row.account)} is already on line "
                    f"{seen[row.account]}; each account appears once."
                )
                continue
            seen[row.account] = line
            rows.append(row)
    except csv.Error as error:
        problems.append(f"Line {reader.line_num}: cannot be read as CSV ({error}).")
    if names is None:
        raise RosterRefused(
            ["The file is empty: it needs a header line and a line for each account."]
        )
    if not problems and not rows:
        problems.append(
            "The roster lists no account: add a line for each account below the header."
        )
    if problems:
        raise RosterRefused(_capped(problems))
    return rows


# --- Flags -----------------------------------------------------------------------------------


def words(name: str) -> list[str]:
    return _WORDS.findall(name.lower())


def is_generic(name: str) -> bool:
    """Whether a name is a generic one (see the module's note on what counts as a word)."""
    return any(word in GENERIC_NAMES for word in words(name))


def is_shared(*, account: str, person: str) -> bool:
    return not person.strip() or is_generic(account) or is_generic(person)


def is_dormant(last_login: date | None, today: date) -> bool:
    """Never signed in, or not for more than DORMANT_AFTER_DAYS days."""
    return last_login is None or (today - last_login).days > DORMANT_AFTER_DAYS


def flags_of(row: Row, *, member_emails: Iterable[str], today: date) -> Flags:
    """`member_emails` lowered: the e-mails of the team's active members."""
    email = row.email.strip().lower()
    return Flags(
        shared=is_shared(account=row.account, person=row.person),
        dormant=is_dormant(row.last_login, today),
        privileged_without_mfa=row.privileged and not row.mfa,
        not_a_member=not email or email not in member_emails,
    )


# --- Comparison with the last completed campaign ----------------------------------------------


@dataclass(frozen=True)
class Change:
    change: str  # an EntryChange value
    previous_role: str = ""


def change_of(row: Row, previous_roles: dict[str, str] | None) -> Change:
    """New, unchanged or role-changed, against the accounts (and roles) reviewed last time.
    Without a previous campaign, every account is new."""
    if previous_roles is None or row.account not in previous_roles:
        return Change("new")
    before = previous_roles[row.account]
    if before == row.role:
        return Change("unchanged")
    return Change("role-changed", previous_role=before)


def removed_accounts(rows: Iterable[Row], previous_accounts: Iterable[str]) -> list[str]:
    """The accounts reviewed last time that the roster no longer lists, in their order."""
    now = {row.account for row in rows}
    return [account for account in previous_accounts if account not in now]


# --- Summary ---------------------------------------------------------------------------------


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"


def import_summary(
    *,
    system: str,
    period: str,
    team: str,
    accounts: int,
    new: int,
    unchanged: int,
    role_changed: int,
    removed: int,
    shared: int,
    dormant: int,
    privileged_without_mfa: int,
    not_a_member: int,
) -> str:
    return (
        f"Imported {_count(accounts, 'account')} into {system} {period} for {team}: "
        f"{new} new, {unchanged} unchanged, {role_changed} role changed, {removed} removed; "
        f"flags: {shared} shared, {dormant} dormant, {privileged_without_mfa} privileged "
        f"without MFA, {_count(not_a_member, 'not a member', 'not members')}."
    )
