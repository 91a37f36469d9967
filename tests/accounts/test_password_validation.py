import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from portal.accounts.password_validation import PatternPasswordValidator
from tests.conftest import PASSWORD, make_user


@pytest.mark.parametrize(
    "password, reason",
    [
        ("aaaaaaaaaaaa", "repeats one character"),
        ("x7Gk-pL2q-0000", "repeats one character"),
        ("Password123!", "common password with digits or symbols added"),
        ("qwerty2024!!", "common password with digits or symbols added"),
        ("tr0ub4dor-abcd", "consecutive characters"),
        ("zeta-9876-blue", "consecutive characters"),
        ("abababababab", "fewer than 6 different characters"),
    ],
)
def test_it_refuses_patterns(password, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_password(password)


def test_it_refuses_a_password_like_the_username(db):
    user = make_user("kopi-lead-santoso")
    with pytest.raises(ValidationError, match="too similar"):
        validate_password("kopi-lead-santoso", user)


@pytest.mark.parametrize(
    "password", [PASSWORD, "tangerine orbit lantern 42", "x7Gk-pL2q-9wZr", "Passage-of-Kopi-7"]
)
def test_it_accepts_chosen_passwords(password):
    validate_password(password)
    PatternPasswordValidator().validate(password)


def test_it_explains_itself():
    assert "consecutive characters" in PatternPasswordValidator().get_help_text()
