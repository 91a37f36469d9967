from datetime import date

from checklists.models import Provider
from checklists.services import credentials as credential_services
from checklists.services import incidents as incident_services

GITHUB = "ghp_" + "R8kz2mQ4vN6pX1tY3wA5bC7dE9fG0hJ2kL4m"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def provider(slug: str) -> Provider:
    return Provider.objects.get(slug=slug)


def make_credential(team, by, name="WeChat App Key", *, provider_slug="wechat", **fields):
    values = {
        "provider": provider(provider_slug),
        "kind": "app-key",
        "environment": "production",
        "kept_in": "vault:payments/wechat/app-key",
        "rotation_interval_days": 90,
        "created_on": date(2026, 1, 10),
        **fields,
    }
    return credential_services.credential_create(team=team, by=by, name=name, **values)


def make_contact(team, by, *, provider_slug="wechat", position=1, **fields):
    values = {
        "name": "Merchant support desk",
        "channel": "email",
        "address": "security@wechat.example",
        **fields,
    }
    return incident_services.contact_create(
        team=team, by=by, provider=provider(provider_slug), position=position, **values
    )
