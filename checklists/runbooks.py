"""Runbooks as data: the steps an incident of a given kind is worked through, in order.

Each step restates a provider guide's advice in the portal's words and names the section it
comes from, so the person ticking it off can read the original.
"""

from dataclasses import dataclass

LEAK_SECTION = "WeChat App Key guide, section “WeChat App Key leak remediation”"


@dataclass(frozen=True)
class RunbookStep:
    title: str
    guidance: str


KEY_LEAK = (
    RunbookStep(
        title="Check whether someone else used the key",
        guidance=(
            "Go through the provider account's access logs and the key's usage for calls the "
            "team did not make: unknown IP addresses, calls at unusual hours, sudden jumps in "
            "volume, operations nobody recognises. Note what was found and for which window. "
            f"({LEAK_SECTION}: how to check whether the key was misused.)"
        ),
    ),
    RunbookStep(
        title="Generate a replacement key",
        guidance=(
            "Create the new key in the provider's console before touching the old one, so the "
            f"old one can be switched off without an outage. ({LEAK_SECTION}: steps to revoke, "
            "generate a new key.)"
        ),
    ),
    RunbookStep(
        title="Move every service to the replacement key",
        guidance=(
            "Put the new key where each service reads it (the secrets manager or environment "
            "variable in the inventory) and check that every service works with it, all before "
            f"the old key is deactivated. ({LEAK_SECTION}: steps to revoke, update services.)"
        ),
    ),
    RunbookStep(
        title="Deactivate the leaked key",
        guidance=(
            "Once everything runs on the new key, deactivate the old one in the provider's "
            f"console. ({LEAK_SECTION}: steps to revoke, deactivate the old key.)"
        ),
    ),
    RunbookStep(
        title="Watch the systems after the rotation",
        guidance=(
            "For the days after, watch that the services run normally and that nobody tries "
            "the old key. Record the rotation on the credential's rotation obligation so a "
            f"second person confirms it. ({LEAK_SECTION}: steps to revoke, monitor after "
            "rotation.)"
        ),
    ),
)
