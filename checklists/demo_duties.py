"""Demo obligations, credentials, incident contacts and a leak in progress, for `seed_demo`.

Everything goes through the services. Only the dates of the first occurrences are set back
(demo history: the portal cannot be run in the past), so the demo shows duties done on time,
done late, overdue, due soon and awaiting a second person.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from checklists.models import (
    Cadence,
    CredentialKind,
    DigestFrequency,
    Environment,
    Exposure,
    Obligation,
    ObligationKind,
    Occurrence,
    Provider,
)
from checklists.schedule import Rule
from checklists.services import credentials, evidence, incidents, notifications, obligations
from portal.accounts.models import Role, Team

# Per provider: (credential name, kind, where it is kept).
CREDENTIALS = {
    "gopay": ("GoPay client token", CredentialKind.CLIENT_TOKEN, "vault:kv/payments/gopay"),
    "codepay": ("CodePay merchant key", CredentialKind.MERCHANT_KEY, "CODEPAY_MERCHANT_KEY"),
    "wechat": ("WeChat App Key", CredentialKind.APP_KEY, "vault:kv/miniapp/wechat"),
    "ucanpay": ("UCanPay API key", CredentialKind.API_KEY, "UCANPAY_API_KEY"),
    "mixpay": ("MixPay webhook signing key", CredentialKind.WEBHOOK_KEY, "MIXPAY_WEBHOOK_KEY"),
}


def _set_first_due(occurrence: Occurrence, days_from_today: int) -> Occurrence:
    """Demo history: the first occurrence fell due `days_from_today` days from today."""
    when = timezone.localdate() + timedelta(days=days_from_today)
    Occurrence.objects.filter(pk=occurrence.pk).update(scheduled_on=when, due_on=when)
    Obligation.objects.filter(pk=occurrence.obligation_id).update(starts_on=when)
    occurrence.refresh_from_db()
    return occurrence


def _credential(team: Team, provider: Provider, *, by, owner, **fields):
    """The provider's demo credential, in production, rotated every 90 days."""
    name, kind, kept_in = CREDENTIALS[provider.slug]
    return credentials.credential_create(
        team=team,
        by=by,
        name=name,
        provider=provider,
        kind=kind,
        environment=Environment.PRODUCTION,
        kept_in=kept_in,
        owner=owner,
        rotation_interval_days=90,
        **fields,
    )


def _open(obligation) -> Occurrence:
    return obligation.occurrences.get(done_at__isnull=True)


def _complete(occurrence: Occurrence, by, confirmer, *, days_ago: int, note: str) -> None:
    done_on = timezone.localdate() - timedelta(days=days_ago)
    record = evidence.evidence_create_file(
        team=occurrence.obligation.team,
        upload=SimpleUploadedFile("record.txt", f"{note}\nDone on {done_on}.\n".encode()),
        description=f"Record: {occurrence.obligation.title}",
        by=by,
    )
    occurrence = obligations.occurrence_complete(
        occurrence=occurrence, by=by, note=note, done_on=done_on, evidence=[record]
    )
    if occurrence.done_at is None and confirmer is not None:
        obligations.occurrence_confirm(occurrence=occurrence, by=confirmer)


def seed_team_duties(team: Team, index: int) -> None:
    """The duties of one of the demo teams with logins, in every state."""
    if team.credentials.exists():
        return
    lead = team.memberships.get(role=Role.LEAD).user
    dev, ops = (
        m.user for m in team.memberships.filter(role=Role.MEMBER).order_by("user__username")
    )
    providers = list(Provider.objects.filter(checklists__team=team).distinct().order_by("name"))
    # The duties the checklists' recurring controls imply, with a history.
    for number, obligation in enumerate(team.obligations.order_by("title")):
        obligations.obligation_update(
            obligation=obligation,
            by=lead,
            title=obligation.title,
            description=obligation.description,
            owner=(dev, ops, None)[number % 3],
            rule=Rule.of(obligation),
        )
        interval = obligation.interval_days or 90
        step = number % 4
        if step == 0:  # done on time last cycle; the next one is overdue by now
            first = _set_first_due(_open(obligation), -(interval + 14))
            _complete(first, dev, lead, days_ago=interval + 16, note="Done as the runbook says.")
        elif step == 1:  # done a few days late; the next one lies ahead
            first = _set_first_due(_open(obligation), -40)
            _complete(first, ops, lead, days_ago=35, note="Done after the release freeze.")
        elif step == 2:  # never done, overdue
            _set_first_due(_open(obligation), -9)
        else:  # due soon
            _set_first_due(_open(obligation), 5)
    obligations.obligation_create(
        team=team,
        kind=ObligationKind.DR_TEST,
        title="Disaster-recovery test of the payment service",
        rule=Rule(Cadence.YEARLY, month=3, day=31),
        owner=ops,
        by=lead,
    )
    obligations.obligation_create(
        team=team,
        kind=ObligationKind.ACCESS_REVIEW,
        title="Review merchant-platform operator roles",
        rule=Rule(Cadence.QUARTERLY, month=3, day=15),
        owner=lead,
        by=lead,
    )
    # Credentials: one per provider, rotated at different times; no secret is ever kept.
    today = timezone.localdate()
    held = []
    for number, provider in enumerate(providers):
        exposure = {"in_repository": Exposure.YES} if provider.slug == "ucanpay" else {}
        held.append(
            _credential(
                team,
                provider,
                by=lead,
                owner=dev,
                created_on=today - timedelta(days=400),
                last_rotated_on=today - timedelta(days=(100, 80, 30)[number % 3]),
                in_front_end=Exposure.NO,
                in_logs=Exposure.NO,
                returned_to_clients=Exposure.NO,
                **exposure,
            )
        )
    # A rotation done by the developer, waiting for a second person (not the key that leaks).
    rotation = credentials.rotation_obligation(held[0] if index == 2 else held[-1])
    obligations.occurrence_complete(
        occurrence=_open(rotation), by=dev, note="New key issued and deployed to every service."
    )
    # Incident contacts for each provider; the first provider's checked today.
    for provider in providers:
        incidents.contact_create(
            team=team,
            by=lead,
            provider=provider,
            position=1,
            name="Security on-call",
            channel="email",
            address=f"security+{provider.slug}@{team.slug}.example.com",
        )
        incidents.contact_create(
            team=team,
            by=lead,
            provider=provider,
            position=2,
            name="Head of engineering",
            channel="phone",
            address="+62 21 555 0100",
        )
    incidents.contacts_verify(
        team=team, provider=providers[0], by=ops, note="Called both numbers; addresses answer."
    )
    if index == 1:  # the other provider's contacts were due for a check last week
        verification = team.obligations.get(
            kind=ObligationKind.CONTACT_VERIFICATION, provider=providers[1]
        )
        _set_first_due(_open(verification), -5)
    if index == 2:
        # A leak in progress: the runbook begun, the provider not told yet.
        leaked = next(c for c in held if c.provider.slug == "ucanpay")
        incident = credentials.credential_report_leak(
            credential=leaked,
            by=dev,
            summary="The key was found in a public repository's history.",
        )
        incidents.incident_step_done(
            step=incident.steps.order_by("position").first(),
            by=dev,
            note="Access logs checked for the last 30 days; no unknown addresses.",
        )
    notifications.reminder_preference_set(user=ops, frequency=DigestFrequency.WEEKLY)
