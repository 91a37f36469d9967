"""Every schedule and notification URL for every role: who gets the page, who is sent to sign
in, who gets 404. The calendar feed needs no sign-in: its token is the credential."""

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists import urls as checklist_urls
from checklists.services import notifications
from tests.checklists.schedule.conftest import make_obligation

SCHEDULE_URLS = {
    "team_schedule",
    "schedule",
    "calendar_feed",
    "notifications",
    "reminder_preference_save",
    "calendar_feed_create",
    "calendar_feed_rotate",
    "calendar_feed_revoke",
}
ROLES = ("anonymous", "nobody", "outsider", "member", "lead", "reviewer", "auditor")
SIGNED_IN = set(ROLES) - {"anonymous"}
VIEWERS = {"member", "lead", "reviewer", "auditor"}


@pytest.fixture
def world(team, other_team, lead, member, outsider, reviewer, auditor, nobody):
    make_obligation(team, lead, "Quarterly access review", timezone.localdate())
    return {
        "users": {
            "nobody": nobody,
            "outsider": outsider,
            "member": member,
            "lead": lead,
            "reviewer": reviewer,
            "auditor": auditor,
        },
        "team": team,
    }


def _cases(world):
    return {
        "team_schedule": ("get", [world["team"].slug], {}, VIEWERS),
        "schedule": ("get", [], {}, SIGNED_IN),
        "notifications": ("get", [], {}, SIGNED_IN),
        "reminder_preference_save": ("post", [], {"frequency": "weekly"}, SIGNED_IN),
        "calendar_feed_create": ("post", [], {}, SIGNED_IN),
        "calendar_feed_rotate": ("post", [], {}, SIGNED_IN),
        "calendar_feed_revoke": ("post", [], {}, SIGNED_IN),
    }


def test_the_walk_covers_every_schedule_url(world):
    names = {p.name for p in checklist_urls.urlpatterns} & SCHEDULE_URLS
    assert names == SCHEDULE_URLS == set(_cases(world)) | {"calendar_feed"}


@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_every_role(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for name, (method, args, data, allowed) in _cases(world).items():
        response = getattr(client, method)(reverse(f"checklists:{name}", args=args), data)
        if role == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith("/accounts/login/"), name
        elif role in allowed:
            assert response.status_code in (200, 302, 400), (name, response.status_code)
        else:
            assert response.status_code == 404, (name, role, response.status_code)


@pytest.mark.parametrize("role", sorted(SIGNED_IN))
def test_the_feed_opens_with_its_token_alone(client, world, role):
    _, token = notifications.calendar_feed_create(user=world["users"][role])
    response = client.get(reverse("checklists:calendar_feed", args=[token]))
    assert response.status_code == 200
    assert (b"Quarterly access review" in response.content) is (role in VIEWERS)
