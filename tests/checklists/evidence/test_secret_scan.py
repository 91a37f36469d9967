import base64

import pytest

from checklists.evidence.scanning import Finding, TextScanner
from checklists.evidence.storage import EvidenceRejected, open_blob

from .conftest import listing, store_bytes

SUFFIX = "; remove it and upload again — the portal must never hold live credentials"
HEADER = "# nginx excerpt for control TLS-1\nserver_name pay.example.com;\n"

# Built at run time so this file does not itself look like it holds live credentials.
AWS_ID = "AKIA" + "Q3EGRT7XZPN4WLKD"
STRIPE = "sk_" + "live_" + "51Hx9aQ2pLmN8rT4vW6yZ0bC"
GITHUB = "ghp_" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9fG0hJ2kL4m"
SLACK = "xoxb-" + "302914827361-4820193746521-Qm2Xr8TzLp4N"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ik1lcmNoYW50In0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
WECHAT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
GOPAY = "gpt_4Kx9Qm2Zr7Lp3Wn8Tv5Yb1Hc6"
SENDGRID = "SG." + "Qm2Xr8TzLp4NvB6yW1cD3e" + "." + "F5gH7jK9mN1pQ3rS5tV7wX9zA2bC4dE6fG8hJ0kL2mN"
KEY = "Vb3Kc9Wd1Ye5Tf6Ug4Hh2Ij8"  # a signing key or app secret: only its name says so
BASIC = base64.b64encode(b"kopi-kita:Tr0ub4dor&3x").decode()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "line, kind",
    [
        ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
        (f"aws_access_key_id = {AWS_ID}", "an AWS access key"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ4m8Tq2Lr",
            "an AWS secret access key",
        ),
        (f"STRIPE_API_KEY={STRIPE}", "a Stripe live secret key"),
        (f"GITHUB_TOKEN={GITHUB}", "a GitHub token"),
        (f"slack: {SLACK}", "a Slack token"),
        (
            "webhook: https://hooks.slack.com/services/T0123ABCD/B0456EFGH/Xq2Lm8Rt4Vz6Np0K",
            "a Slack webhook URL",
        ),
        (f"Authorization: Bearer {JWT}", "a JSON Web Token"),
        (f"WECHAT_APPSECRET={WECHAT}", "a WeChat AppSecret or App Key"),
        (f'"app_key": "{WECHAT.upper()}"', "a WeChat AppSecret or App Key"),
        (f"client_token: {GOPAY}", "a GoPay token"),
        (f'gopay_token = "{GOPAY}"', "a GoPay token"),
        (
            "DATABASE_URL=postgres://portal:Tr0ub4dor3@db.internal:5432/portal",
            "a password in a URL",
        ),
        ("ucanpay_api_key = 'q8Zr2LmN0pXa7'", "an API key, secret or password assignment"),
        ('"password": "hunter2hunter2"', "an API key, secret or password assignment"),
        ("secret=Zx81kQp0", "an API key, secret or password assignment"),
        ("DB_PASSWORD=P@ss(w0rd)!", "an API key, secret or password assignment"),
        (f"mail relay {SENDGRID}", "a SendGrid API Key"),
        ("curl -H 'Authorization: Bearer Qm2Xr8TzLp4NvB6yW1cD3eF5'", "a bearer token"),
        (f"wechat,AppSecret,{WECHAT}", "a credential in a table or list"),
        (f"| AppSecret | {WECHAT} |", "a credential in a table or list"),
        (f"appsecret {WECHAT}", "a credential in a table or list"),
        (f"gopay,client_token,{GOPAY}", "a credential in a table or list"),
        ("kopi-kita,db_password,Tr0ub4dor&3x,payments-team", "a credential in a table or list"),
        (f"| MERCHANT_KEY | `{KEY}` |", "a credential in a table or list"),
        (f"MERCHANT_KEY={KEY}", "an API key, secret or password assignment"),
        (f"WEBHOOK_SIGNING_KEY: {KEY}", "an API key, secret or password assignment"),
        (f"pay.merchant.private.key={KEY}", "an API key, secret or password assignment"),
        (f"const clientSecret = '{KEY}';", "an API key, secret or password assignment"),
        (
            '{"id": 42, "config": "{\\"merchant_key\\": \\"' + KEY + '\\"}"}',
            "an API key, secret or password assignment",
        ),
        (f'42,"{{""app_secret"": ""{KEY}""}}"', "an API key, secret or password assignment"),
        ("<password>Tr0ub4dor&amp;3x</password>", "an API key, secret or password assignment"),
        (f"<ns:apiKey>{KEY}</ns:apiKey>", "an API key, secret or password assignment"),
        (
            f'<add key="MerchantSigningKey" value="{KEY}" />',
            "an API key, secret or password assignment",
        ),
        (
            f'<input type="hidden" name="client_secret" value="{KEY}">',
            "an API key, secret or password assignment",
        ),
        ("ENV DB_PASSWORD Tr0ub4dor&3x", "an API key, secret or password assignment"),
        (
            "  - name: DB_PASSWORD\n    value: Tr0ub4dor&3x",
            "an API key, secret or password assignment",
        ),
        (f"Authorization: Basic {BASIC}", "a basic auth credential"),
        (f"curl -H 'authorization: basic {BASIC}' https://pay", "a basic auth credential"),
        (f"  stripe_key: {b64(STRIPE)}", "a Stripe live secret key"),
        (f"  db_password: {b64('Tr0ub4dor&3x')}", "an API key, secret or password assignment"),
        (
            "  tls.key: " + b64("-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n"),
            "a private key",
        ),
    ],
)
def test_it_refuses_a_file_holding_a_secret(evidence_root, line, kind):
    data = f"{HEADER}listen 443 ssl;\n{line}\nssl_protocols TLSv1.2;\n".encode()
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(data, "nginx.conf")
    assert caught.value.message == f"line 4 looks like {kind}{SUFFIX}"
    assert listing(evidence_root) == []


def test_it_never_repeats_the_secret(evidence_root):
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(f"key: {STRIPE}\n".encode(), "keys.yaml")
    assert STRIPE not in str(caught.value)
    assert "51Hx9a" not in caught.value.message


def test_it_counts_lines_across_chunks(evidence_root):
    filler = "2024-05-01T10:00:00Z INFO GET /healthz 200\n" * 9_999
    data = f"{filler}deploy with {GITHUB}\n{filler}".encode()
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(data, "deploy.log")
    assert caught.value.message == f"line 10000 looks like a GitHub token{SUFFIX}"
    assert listing(evidence_root) == []


def test_it_sees_a_name_and_its_value_on_two_lines_split_between_chunks():
    scanner = TextScanner()
    assert scanner.feed("env:\n  - name: MERCHANT_SIGNING_KEY\n") is None
    finding = scanner.feed(f"    value: {KEY}\n")
    assert finding == Finding(line=2, kind="an API key, secret or password assignment")


def test_it_finds_a_secret_on_the_last_line_without_a_newline(evidence_root):
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(b"one\ntwo\npassword=Zx81kQp0Lm", "notes.txt")
    assert caught.value.message.startswith("line 3 looks like an API key, secret or password")


def test_it_finds_a_secret_inside_a_very_long_line(evidence_root):
    data = ('{"items": [' + '"ok",' * 200_000 + f'"{AWS_ID}"]}}\n').encode()
    with pytest.raises(EvidenceRejected) as caught:
        store_bytes(data, "export.json")
    assert caught.value.message == f"line 1 looks like an AWS access key{SUFFIX}"


@pytest.mark.parametrize(
    "line",
    [
        "password: ${DB_PASSWORD}",
        "api_key = <your key here>",
        "secret: '********'",
        "token=[REDACTED]",
        "Password: required",
        "password = settings.DB_PASSWORD",
        "client_token: YOUR_CLIENT_TOKEN_GOES_HERE",
        "DATABASE_URL=postgres://portal:${DB_PASSWORD}@db:5432/portal",
        "api_key: os.environ['UCANPAY_API_KEY']",
        "password=os.getenv('DB_PASSWORD')",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "GET /pay from 203.0.113.9 status=200 trace=4bf92f3577b34da6a3ce929d0e0e4736",
        "ssl_certificate_key /etc/nginx/tls/pay.key;",
        "Keys are rotated every 90 days; the secret is held in the vault.",
        "gopay,client_token,secret/prod/miniapp/client-token,payments-team,2026-10-01",
        "| AppSecret | vault kv/wechat/app-secret | rotated 2026-09-30 |",
        "wechat,app_key,WECHAT_APP_KEY,env var on the payments service",
        "Authorization: Bearer <token from the vault>",
        "secret: vault:secret/data/pay#key",
        "app_secret=vault%3Asecret%2Fdata%2Fpay%23key",
        "aws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE",
        "stripe_key: sk_" + "live_" + "x" * 24,
        f"  db_password: {b64('changeme')}",
        "  tls.crt: " + b64("-----BEGIN CERTIFICATE-----"),
        "secret_key: !vault |",
        'SECRET_KEY = "".join(random.choice(chars) for _ in range(50))',
        "hmac_key: HMAC-SHA256",
        'WWW-Authenticate: Basic realm="Merchant portal", charset="UTF-8"',
        f"Authorization: Basic {b64('user:password')}",
        "| Password | bcrypt-12 |",
        "password,minimum length,12",
        '{"name": "api_key", "in": "header", "value": "string"}',
        '<input type="password" name="password" value="">',
        "<apiKey>${UCANPAY_API_KEY}</apiKey>",
        "ENV SECRET_KEY_FILE /run/secrets/django",
        "if not isinstance(private_key, Asn1Value):",
    ],
)
def test_it_accepts_placeholders_and_ordinary_evidence(evidence_root, line):
    data = f"{HEADER}{line}\n".encode()
    blob = store_bytes(data, "evidence.txt")
    assert b"".join(open_blob(blob.name)) == data
