"""The demo logins of admins, reviewers and auditors come with a second factor to sign in."""

import re
from base64 import b32decode
from io import StringIO

from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import TOTP

from portal.audit.models import AuditEvent


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _login_of(output: str, username: str) -> tuple[str, str, list[str]]:
    match = re.search(
        rf"^  {username}\s+(\S+) .*\n      authenticator key: ([A-Z2-7 ]+)\n"
        r"      backup codes: (.+)$",
        output,
        re.MULTILINE,
    )
    assert match, output
    return match[1], match[2].replace(" ", ""), match[3].split(", ")


def test_it_prints_a_key_and_backup_codes_for_the_roles_that_need_them(db):
    output = _seed()
    for username in ("admin", "reviewer", "auditor"):
        _, key, codes = _login_of(output, username)
        assert len(key) == 32 and len(codes) == 3
    assert "kopi-dev" in output
    assert not re.search(r"^  kopi-dev .*\n      authenticator key", output, re.MULTILINE)
    assert AuditEvent.objects.filter(action="accounts.two_factor.enrolled").count() == 3


def test_the_demo_reviewer_signs_in_with_the_printed_key_and_then_a_backup_code(client, db):
    _seed()
    password, key, codes = _login_of(_seed("--reset-passwords"), "reviewer")
    login = {"username": "reviewer", "password": password}
    assert client.post(reverse("login"), login)["Location"].startswith(reverse("two_factor_verify"))
    code = f"{TOTP(b32decode(key)).token():06d}"
    assert client.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    assert client.get(reverse("checklists:review_queue")).status_code == 200
    client.post(reverse("logout"))
    client.post(reverse("login"), login)
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(reverse("checklists:review_queue")).status_code == 200
