"""The obligation pages: every URL for every role, the completion journey with evidence, refusals
shown next to the fields, and query counts that do not grow with the rows."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from checklists.models import Evidence, Obligation, ObligationKind, Occurrence
from checklists.schedule import Rule, status_of
from checklists.services import obligations as services
from tests.checklists.obligations.helpers import link_evidence, make_obligation, open_occurrence

ROLES = ("anonymous", "nobody", "outsider", "member", "lead", "reviewer", "auditor")
VIEWERS = {"member", "lead", "reviewer", "auditor"}
ATTESTERS = {"member", "lead"}
CONFIRMERS = {"member", "lead", "reviewer"}
LEADS = {"lead"}
OBLIGATION_URLS = {
    "obligation_list",
    "obligation_new",
    "obligation_detail",
    "obligation_edit",
    "obligation_retire",
    "occurrence_detail",
    "occurrence_complete",
    "occurrence_confirm",
    "occurrence_send_back",
    "occurrence_move_due",
}
WRITES = {
    "obligation_retire",
    "occurrence_complete",
    "occurrence_confirm",
    "occurrence_send_back",
    "occurrence_move_due",
}
LOG = b"2027-01-04 10:02 rotated the merchant platform password; old sessions revoked\n"


@pytest.fixture
def world(team, other_team, lead, member, second_member, outsider, reviewer, auditor, nobody):
    duty = make_obligation(team, lead, owner=member, title="Review firewall rules")
    rotation = make_obligation(
        team, lead, kind=ObligationKind.KEY_ROTATION, title="Rotate the API key"
    )
    services.occurrence_complete(
        occurrence=open_occurrence(rotation), by=second_member, note="Rotated in the vault."
    )
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
        "duty": duty,
        "rotation": rotation,
    }


def _occurrence_args(obligation):
    occurrence = open_occurrence(obligation)
    return [obligation.team.slug, obligation.pk, occurrence.pk]


def _cases(world):
    team, duty, rotation = world["team"].slug, world["duty"], world["rotation"]
    today = timezone.localdate().isoformat()
    return [
        ("obligation_list", "get", [team], {}, VIEWERS),
        ("obligation_new", "get", [team], {}, LEADS),
        (
            "obligation_new",
            "post",
            [team],
            {
                "kind": "custom",
                "title": "Test the restore",
                "cadence": "yearly",
                "month": 3,
                "day": 31,
                "starts_on": today,
            },
            LEADS,
        ),
        ("obligation_detail", "get", [team, duty.pk], {}, VIEWERS),
        ("obligation_edit", "get", [team, duty.pk], {}, LEADS),
        (
            "obligation_edit",
            "post",
            [team, duty.pk],
            {"title": "Review the firewall", "cadence": "days", "interval_days": 60},
            LEADS,
        ),
        ("occurrence_detail", "get", _occurrence_args(duty), {}, VIEWERS),
        ("occurrence_detail", "get", _occurrence_args(rotation), {}, VIEWERS),
        (
            "occurrence_move_due",
            "post",
            _occurrence_args(duty),
            {"due_on": (timezone.localdate() + timedelta(days=5)).isoformat(), "reason": "Leave."},
            LEADS,
        ),
        ("occurrence_send_back", "post", _occurrence_args(rotation), {"comment": ""}, CONFIRMERS),
        ("occurrence_confirm", "post", _occurrence_args(rotation), {}, CONFIRMERS),
        (
            "occurrence_complete",
            "post",
            _occurrence_args(duty),
            {"note": "Reviewed.", "done_on": today},
            ATTESTERS,
        ),
        ("obligation_retire", "post", [team, duty.pk], {"reason": "Moved to the cloud."}, LEADS),
    ]


def test_the_walk_covers_every_obligation_url(world):
    from checklists import urls

    names = {pattern.name for pattern in urls.urlpatterns}
    assert names >= OBLIGATION_URLS
    assert {case[0] for case in _cases(world)} == OBLIGATION_URLS


@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_every_role(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    for name, method, args, data, allowed in _cases(world):
        url = reverse(f"checklists:{name}", args=args)
        response = getattr(client, method)(url, data)
        if role == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith("/accounts/login/"), name
        elif role in allowed:
            # 400: refused on its merits (e.g. a completer confirming), the form shown again
            assert response.status_code in (200, 302, 400), (name, role, response.status_code)
            if response.status_code == 302:
                assert not response["Location"].startswith("/accounts/login/"), name
        else:
            assert response.status_code == 404, (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_views_reject_get(client, world, name):
    client.force_login(world["users"]["lead"])
    (args,) = [case[2] for case in _cases(world) if case[0] == name]
    assert client.get(reverse(f"checklists:{name}", args=args)).status_code == 405


def test_the_auditor_reads_everything_and_is_offered_nothing(client, world):
    client.force_login(world["users"]["auditor"])
    team = world["team"].slug
    page = client.get(reverse("checklists:obligation_list", args=[team])).content.decode()
    assert "Review firewall rules" in page and "New obligation" not in page
    for obligation in (world["duty"], world["rotation"]):
        page = client.get(obligation.get_absolute_url()).content.decode()
        assert "Retire" not in page and "Edit obligation" not in page
        page = client.get(open_occurrence(obligation).get_absolute_url()).content.decode()
        for offer in ("Record as done", "Confirm</button>", "Move due date"):
            assert offer not in page


def test_the_list_puts_overdue_first_and_keeps_retired_apart(client, team, lead):
    today = timezone.localdate()
    make_obligation(team, lead, title="Later duty", starts_on=today + timedelta(days=40))
    make_obligation(team, lead, title="Overdue duty", starts_on=today - timedelta(days=3))
    make_obligation(team, lead, title="Soon duty", starts_on=today + timedelta(days=3))
    gone = make_obligation(team, lead, title="Gone duty", starts_on=today)
    services.obligation_retire(obligation=gone, by=lead, reason="No longer applies.")
    client.force_login(lead)
    response = client.get(reverse("checklists:obligation_list", args=[team.slug]))
    page = response.content.decode()
    assert [row.obligation.title for row in response.context["rows"]] == [
        "Overdue duty",
        "Soon duty",
        "Later duty",
    ]
    assert page.index("Overdue") < page.index("Due soon") < page.index("Upcoming")
    assert "every 30 days" in page and "New obligation" in page
    assert [o.title for o in response.context["retired"]] == ["Gone duty"]


# --- Completing, confirming, sending back, moving ------------------------------------------


def _stored_files(settings):
    root = settings.EVIDENCE_ROOT
    return sorted(path.name for path in root.iterdir()) if root.exists() else []


def _complete_url(occurrence):
    return reverse(
        "checklists:occurrence_complete",
        args=[occurrence.obligation.team.slug, occurrence.obligation_id, occurrence.pk],
    )


def test_completing_with_an_evidence_file(client, settings, team, lead, member, auditor):
    obligation = make_obligation(team, lead, kind=ObligationKind.PASSWORD_ROTATION)
    occurrence = open_occurrence(obligation)
    client.force_login(member)
    response = client.post(
        _complete_url(occurrence),
        {
            "note": "Rotated the merchant platform password.",
            "done_on": timezone.localdate().isoformat(),
            "upload": SimpleUploadedFile("rotation-log.txt", LOG),
            "evidence_description": "The rotation log",
        },
        follow=True,
    )
    following = open_occurrence(obligation)
    assert response.redirect_chain[-1][0] == obligation.get_absolute_url()
    page = response.content.decode()
    assert f"Done. The next occurrence is due {following.due_on:%-d %B %Y}." in page
    evidence = Evidence.objects.get()
    assert list(Occurrence.objects.get(pk=occurrence.pk).evidence.all()) == [evidence]
    assert evidence.team == team and evidence.uploaded_by == member
    assert evidence.original_name == "rotation-log.txt" and evidence.size == len(LOG)
    assert _stored_files(settings) == [evidence.blob_name]
    download = reverse("checklists:evidence_download", args=[team.slug, evidence.pk])
    assert download in page  # in the history of done occurrences
    client.force_login(auditor)
    assert download in client.get(occurrence.get_absolute_url()).content.decode()
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == LOG


def test_a_refused_completion_keeps_what_was_typed_and_stores_nothing(
    client, settings, team, lead, member
):
    occurrence = open_occurrence(make_obligation(team, lead))
    client.force_login(member)
    response = client.post(
        _complete_url(occurrence),
        {
            "note": "  ",
            "done_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "upload": SimpleUploadedFile("rotation-log.txt", LOG),
            "evidence_description": "The log of the night",
        },
    )
    assert response.status_code == 400
    form = response.context["complete_form"]
    assert form.errors["note"] == ["Say what was done: a note is required."]
    assert form.errors["done_on"] == ["The day it was done cannot be in the future."]
    page = response.content.decode()
    assert 'id="id_note_error"' in page and 'id="id_done_on_error"' in page
    assert "The log of the night" in page  # what was typed stays
    assert not Evidence.objects.exists()
    assert _stored_files(settings) == []
    assert Occurrence.objects.get(pk=occurrence.pk).completed_at is None


def test_a_file_holding_a_secret_is_refused_next_to_the_file(client, settings, team, lead, member):
    occurrence = open_occurrence(make_obligation(team, lead))
    client.force_login(member)
    response = client.post(
        _complete_url(occurrence),
        {
            "note": "Rotated.",
            "done_on": timezone.localdate().isoformat(),
            "upload": SimpleUploadedFile(
                "env.txt", b"AWS_ACCESS_KEY_ID=AKIAZ7QH4XKJ2M5TRW3N\nregion=eu-west-1\n"
            ),
            "evidence_description": "The environment",
        },
    )
    assert response.status_code == 400
    assert response.context["complete_form"].errors["upload"]
    assert not Evidence.objects.exists() and _stored_files(settings) == []
    assert Occurrence.objects.get(pk=occurrence.pk).completed_at is None


def test_a_failure_after_the_file_is_stored_removes_it(settings, monkeypatch, team, lead, member):
    """Refused or failed under the row lock, after the file was stored: the file goes too."""
    occurrence = open_occurrence(make_obligation(team, lead))

    def broken(entries):
        raise RuntimeError("the audit chain is unavailable")

    monkeypatch.setattr(services.audit, "record_many", broken)
    with pytest.raises(RuntimeError):
        services.occurrence_complete(
            occurrence=occurrence,
            by=member,
            note="Rotated.",
            upload=SimpleUploadedFile("rotation-log.txt", LOG),
            evidence_description="The log",
        )
    assert not Evidence.objects.exists() and _stored_files(settings) == []


def test_a_rotation_is_confirmed_by_a_second_person(client, team, lead, member, reviewer):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION)
    occurrence = open_occurrence(rotation)
    client.force_login(member)
    response = client.post(
        _complete_url(occurrence),
        {"note": "Rotated in the vault.", "done_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert "Completed; a second person must confirm this rotation." in response.content.decode()
    assert response.redirect_chain[-1][0] == occurrence.get_absolute_url()
    args = [team.slug, rotation.pk, occurrence.pk]
    page = client.get(occurrence.get_absolute_url()).content.decode()
    assert "another person must confirm it" in page and "Confirm</button>" not in page
    refused = client.post(reverse("checklists:occurrence_confirm", args=args))
    assert refused.status_code == 400
    assert "another person must confirm it" in refused.content.decode()
    client.force_login(reviewer)
    assert "Confirm</button>" in client.get(occurrence.get_absolute_url()).content.decode()
    response = client.post(reverse("checklists:occurrence_confirm", args=args), follow=True)
    following = open_occurrence(rotation)
    assert (
        f"Confirmed: the rotation is done. The next one is due {following.due_on:%-d %B %Y}."
        in response.content.decode()
    )
    done = Occurrence.objects.get(pk=occurrence.pk)
    assert done.confirmed_by == reviewer and done.done_at is not None


def test_sending_back_needs_a_comment_next_to_the_field(client, team, lead, member):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION)
    occurrence = open_occurrence(rotation)
    services.occurrence_complete(occurrence=occurrence, by=member, note="Rotated.")
    client.force_login(lead)
    url = reverse("checklists:occurrence_send_back", args=[team.slug, rotation.pk, occurrence.pk])
    response = client.post(url, {"comment": " "})
    assert response.status_code == 400
    assert response.context["send_back_form"].errors["comment"] == [
        "Say what is missing: a comment is required."
    ]
    response = client.post(url, {"comment": "Attach the vault log."}, follow=True)
    assert "Sent back: member must complete it again." in response.content.decode()
    assert Occurrence.objects.get(pk=occurrence.pk).completed_by is None


def test_moving_the_due_date_through_the_page(client, team, lead):
    obligation = make_obligation(team, lead)
    occurrence = open_occurrence(obligation)
    client.force_login(lead)
    url = reverse("checklists:occurrence_move_due", args=[team.slug, obligation.pk, occurrence.pk])
    response = client.post(url, {"due_on": "", "reason": "The auditor is on leave"})
    assert response.status_code == 400
    assert response.context["move_due_form"].errors["due_on"] == ["Give the new due date."]
    assert "The auditor is on leave" in response.content.decode()
    new_due = timezone.localdate() + timedelta(days=9)
    response = client.post(
        url, {"due_on": new_due.isoformat(), "reason": "The auditor is on leave"}, follow=True
    )
    assert f"The due date is now {new_due:%-d %B %Y}." in response.content.decode()
    occurrence.refresh_from_db()
    assert occurrence.due_on == new_due and occurrence.due_change_reason


# --- Creating, editing, retiring -----------------------------------------------------------


def test_a_lead_creates_an_obligation_with_controls(client, catalog, team, lead, member):
    from tests.checklists.assessment_helpers import make_checklist

    make_checklist(team, lead, providers=("codepay",))
    client.force_login(lead)
    url = reverse("checklists:obligation_new", args=[team.slug])
    form = client.get(url).context["form"]
    control = form.fields["controls"].queryset.get(ref="CODEPAY-2.4b")
    refused = client.post(
        url,
        {
            "kind": "dr-test",
            "title": "Restore test",
            "cadence": "quarterly",
            "day": 31,
            "starts_on": "2027-01-01",
            "controls": [control.pk],
        },
    )
    assert refused.status_code == 400
    assert refused.context["form"].errors["quarter_month"] == [
        "Give the month of the quarter (1 to 3)."
    ]
    response = client.post(
        url,
        {
            "kind": "dr-test",
            "title": "Restore test",
            "owner": member.pk,
            "cadence": "quarterly",
            "quarter_month": 2,
            "day": 31,
            "starts_on": "2027-01-01",
            "controls": [control.pk],
        },
    )
    obligation = Obligation.objects.get(title="Restore test")
    assert response.status_code == 302 and response["Location"] == obligation.get_absolute_url()
    assert Rule.of(obligation) == Rule("quarterly", None, 2, 31)
    assert obligation.owner == member and list(obligation.controls.all()) == [control]
    assert open_occurrence(obligation).due_on.isoformat() == "2027-02-28"


def test_a_lead_edits_and_retires_an_obligation(client, team, lead):
    obligation = make_obligation(team, lead)
    client.force_login(lead)
    edit = reverse("checklists:obligation_edit", args=[team.slug, obligation.pk])
    assert client.get(edit).context["form"]["interval_days"].value() == 30
    response = client.post(
        edit, {"title": "Firewall review", "cadence": "days", "interval_days": 0}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["interval_days"]
    response = client.post(
        edit, {"title": "Firewall review", "cadence": "yearly", "month": 2, "day": 29}
    )
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.title == "Firewall review" and obligation.cadence == "yearly"
    retire = reverse("checklists:obligation_retire", args=[team.slug, obligation.pk])
    response = client.post(retire, {"reason": ""})
    assert response.status_code == 400
    assert response.context["retire_form"].errors["reason"]
    response = client.post(retire, {"reason": "Replaced by the cloud firewall."}, follow=True)
    assert "retired" in response.content.decode()
    obligation.refresh_from_db()
    assert obligation.retired_at is not None


# --- The answer page -----------------------------------------------------------------------


def test_the_answer_page_shows_the_obligation_that_keeps_it(client, catalog, team, lead, member):
    from tests.checklists.assessment_helpers import make_checklist

    checklist = make_checklist(team, lead, providers=("codepay",))
    duty = Obligation.objects.get(team=team, implied_by_control__ref="CODEPAY-1.4a.1")
    client.force_login(member)
    recurring = reverse(
        "checklists:attestation_detail", args=[team.slug, checklist.period, "CODEPAY-1.4a.1"]
    )
    response = client.get(recurring)
    keeper = response.context["obligation_keeper"]
    occurrence = open_occurrence(duty)
    assert keeper.obligation == duty and keeper.occurrence == occurrence
    assert keeper.status == status_of(occurrence, timezone.localdate())
    page = response.content.decode()
    assert "Kept current by the obligation" in page and duty.get_absolute_url() in page
    assert open_occurrence(duty).get_absolute_url() in page
    once = checklist.attestations.filter(control__recurrence_days__isnull=True).first()
    response = client.get(once.get_absolute_url())
    assert response.context["obligation_keeper"] is None
    assert "Kept current by the obligation" not in response.content.decode()


# --- Query counts --------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_for_one_or_ten_obligations(
    client, team, lead, member, django_assert_max_num_queries
):
    make_obligation(team, lead, owner=member, title="Duty 0")
    client.force_login(lead)
    url = reverse("checklists:obligation_list", args=[team.slug])
    client.get(url)  # warm the session and permission caches
    one = _queries(client, url)
    for number in range(1, 10):
        obligation = make_obligation(team, lead, owner=member, title=f"Duty {number}")
        if number % 3 == 0:
            services.obligation_retire(obligation=obligation, by=lead, reason="Gone.")
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


def test_the_obligation_page_costs_the_same_for_one_or_ten_occurrences(
    client, team, lead, member, second_member, django_assert_max_num_queries
):
    rotation = make_obligation(team, lead, kind=ObligationKind.KEY_ROTATION, owner=member)

    def do_it(number):
        occurrence = open_occurrence(rotation)
        services.occurrence_complete(
            occurrence=occurrence,
            by=member,
            note=f"Rotation {number}.",
            evidence=[link_evidence(team, member, url=f"https://wiki.example.com/r/{number}")],
        )
        services.occurrence_confirm(occurrence=occurrence, by=second_member)

    do_it(0)
    client.force_login(lead)
    url = rotation.get_absolute_url()
    client.get(url)
    one = _queries(client, url)
    for number in range(1, 10):
        do_it(number)
    with django_assert_max_num_queries(one):
        page = client.get(url).content.decode()
    assert page.count("https://wiki.example.com/r/") == 20  # link text and href, ten rows
