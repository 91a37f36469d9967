"""Refuses passwords built from a pattern rather than chosen: runs of one character,
keyboard-free sequences (abcd, 4321), too few distinct characters, and common passwords
dressed up with digits and symbols (Password123!)."""

import re
from functools import cached_property

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

RUN_LENGTH = 4
MIN_DISTINCT = 6
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _longest_repeat(password: str) -> int:
    longest = current = 1
    for before, char in zip(password, password[1:], strict=False):
        current = current + 1 if char == before else 1
        longest = max(longest, current)
    return longest


def _longest_sequence(password: str) -> int:
    """The longest run of consecutive characters going up or down by one (abcd, 9876)."""
    longest = 1
    for step in (1, -1):
        current = 1
        for before, char in zip(password.lower(), password.lower()[1:], strict=False):
            current = current + 1 if ord(char) - ord(before) == step else 1
            longest = max(longest, current)
    return longest


class PatternPasswordValidator:
    def __init__(self, run_length: int = RUN_LENGTH, min_distinct: int = MIN_DISTINCT):
        self.run_length = run_length
        self.min_distinct = min_distinct

    @cached_property
    def _common(self) -> frozenset[str]:
        return frozenset(CommonPasswordValidator().passwords)

    def validate(self, password: str, user=None) -> None:
        if _longest_repeat(password) >= self.run_length:
            raise ValidationError(
                f"This password repeats one character {self.run_length} or more times in a row.",
                code="password_repeated",
            )
        if _longest_sequence(password) >= self.run_length:
            raise ValidationError(
                f"This password contains a run of {self.run_length} or more consecutive "
                "characters (like abcd or 4321).",
                code="password_sequential",
            )
        if len(set(password.lower())) < self.min_distinct:
            raise ValidationError(
                f"This password uses fewer than {self.min_distinct} different characters.",
                code="password_too_few_characters",
            )
        core = _DECORATION.sub("", password).lower()
        if core != password.lower() and len(core) >= 4 and core in self._common:
            raise ValidationError(
                "This password is a common password with digits or symbols added.",
                code="password_common_decorated",
            )

    def get_help_text(self) -> str:
        return (
            f"Your password can't repeat a character {self.run_length} times in a row, contain "
            f"{self.run_length} consecutive characters (abcd, 4321), use fewer than "
            f"{self.min_distinct} different characters, or be a common password with digits "
            "or symbols added."
        )
