import base64
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts import services as accounts
from portal.accounts.models import Role
from portal.accounts.permissions import AUDITORS_GROUP, REVIEWERS_GROUP
from portal.celery import app as celery_app

# The S3-compatible server on loopback (s3_endpoint, s3_bucket) for the object storage tests.
pytest_plugins = ["tests.s3_server"]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs a second per user; the tests check behaviour, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _evidence_store(settings, tmp_path):
    """Each test keeps evidence in a folder of its own, under a key of its own."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    settings.EVIDENCE_KEYS = ["test1:" + base64.b64encode(os.urandom(32)).decode()]


@pytest.fixture(scope="session")
def audit_signing_key_file(tmp_path_factory) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    path = tmp_path_factory.mktemp("keys") / "audit-signing.pem"
    path.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


@pytest.fixture(autouse=True)
def _audit_signing_key(settings, audit_signing_key_file):
    """Django runs tests with settings.DEBUG off, where the signing key must come from a file."""
    settings.AUDIT_SIGNING_KEY_FILE = str(audit_signing_key_file)


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test asks for the real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


def make_user(username: str, **fields):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **fields
    )
    return user


def add_authenticator(user) -> TOTPDevice:
    """Two-factor sign-in on, as after enrolment (required for reviewers, auditors, admins)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next if the current one was
    used already (an app code works once; the one after it is accepted too)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    if device.last_t >= now + 1:  # both used: wait for the next step
        time.sleep((now + 1) * device.step + device.t0 - totp.time + 0.1)
        totp.time = time.time()
        now = totp.t()
    if device.last_t >= now:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


class VerifiedClient(Client):
    """`force_login` and `login` leave the session as a real sign-in does: verified by the
    user's authenticator, when they have one, as the second step would."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        self._verify(user)

    def login(self, **credentials):
        signed_in = super().login(**credentials)
        if signed_in:
            self._verify(
                get_user_model()._default_manager.get_by_natural_key(credentials.get("username"))
            )
        return signed_in

    def _verify(self, user) -> None:
        device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client():
    return VerifiedClient()


@pytest.fixture
def admin_client(db, admin_user):
    client = VerifiedClient()
    client.force_login(admin_user)
    return client


@pytest.fixture
def catalog(db):
    """The real control catalog and OWASP references."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_catalog", stdout=StringIO())


@pytest.fixture
def team(db):
    return accounts.team_create(name="Kopi Kita", slug="kopi-kita")


@pytest.fixture
def other_team(db):
    return accounts.team_create(name="Ojek Cepat", slug="ojek-cepat")


@pytest.fixture
def lead(team):
    user = make_user("lead")
    accounts.membership_add(team=team, user=user, role=Role.LEAD)
    return user


@pytest.fixture
def member(team):
    user = make_user("member")
    accounts.membership_add(team=team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def outsider(other_team):
    """A lead of another team: may do everything there and nothing here."""
    user = make_user("outsider")
    accounts.membership_add(team=other_team, user=user, role=Role.LEAD)
    return user


@pytest.fixture
def reviewer(db):
    user = make_user("reviewer")
    accounts.global_role_grant(user=user, group_name=REVIEWERS_GROUP)
    add_authenticator(user)
    return user


@pytest.fixture
def auditor(db):
    user = make_user("auditor")
    accounts.global_role_grant(user=user, group_name=AUDITORS_GROUP)
    add_authenticator(user)
    return user


@pytest.fixture
def admin_user(db):
    user = make_user("admin", is_staff=True, is_superuser=True)
    add_authenticator(user)
    return user


@pytest.fixture
def nobody(db):
    """Signed in, but in no team and no portal role."""
    return make_user("nobody")


def _broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"


def _broker_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _database_url() -> str:
    """The test database as a URL, so the worker process works on the same rows."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, tmp_path_factory):
    """A real `celery worker` process on the Redis broker, serving a queue of its own.

    Yields a Celery client app bound to that broker and the queue name to send tasks to.
    """
    url = _broker_url()
    if not _broker_answers(url):
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Redis broker answers at {url}; CI must run the worker tests")
        pytest.skip(f"no Redis broker answers at {url}; start redis-server to run the worker tests")
    queue = f"tests-{uuid.uuid4().hex[:8]}"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
    }
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
            ],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    client = Celery("tests", broker=url, backend=url)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield client, queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        client.close()
