"""The pages that make and revoke API tokens: a person's own (from their account), and a
team's service accounts with their tokens (for the team's leads).

A new token's plaintext is on the page that answers the form, once: it is never stored,
and these pages are never cached.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from checklists.views.common import apply_form
from portal.accounts.models import Team
from portal.accounts.permissions import get_team_or_404
from portal.api import tokens
from portal.api.models import ApiToken, ServiceAccount
from portal.api.token_forms import ServiceAccountForm, ServiceAccountTokenForm, TokenForm


@dataclass(frozen=True)
class NewToken:
    row: tokens.TokenRow
    plaintext: str

    @classmethod
    def of(cls, made: tuple[ApiToken, str]) -> "NewToken":
        token, plaintext = made
        return cls(row=tokens.token_rows([token], now=timezone.now())[0], plaintext=plaintext)


# A person's own tokens ------------------------------------------------------------------------


def _personal_page(request, *, form=None, new_token=None, status=200) -> HttpResponse:
    rows = tokens.token_rows(tokens.tokens_of(request.user), now=timezone.now())
    return render(
        request,
        "api/tokens.html",
        {
            "form": form or TokenForm(user=request.user),
            "new_token": new_token,
            "live": [row for row in rows if row.state != "revoked"],
            "revoked": [row for row in rows if row.state == "revoked"],
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def personal_tokens(request: HttpRequest) -> HttpResponse:
    """GET lists the person's tokens; POST makes one and shows it, once."""
    if request.method == "GET":
        return _personal_page(request)
    form = TokenForm(request.POST, user=request.user)
    made = apply_form(
        form,
        lambda name, team, scope, expires_on: tokens.token_create(
            team=team, name=name, scope=scope, expires_on=expires_on, by=request.user
        ),
    )
    if made is None:
        return _personal_page(request, form=form, status=400)
    return _personal_page(request, new_token=NewToken.of(made), status=201)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def personal_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(tokens.tokens_of(request.user), pk=token_id)
    return _revoke(request, token, back=redirect("tokens:personal").url)


# A team's service accounts and tokens -------------------------------------------------------


def _team_page(
    request,
    team: Team,
    *,
    account_form=None,
    token_forms=None,
    new_token=None,
    status=200,
) -> HttpResponse:
    now = timezone.now()
    accounts = list(tokens.service_accounts_of(team))
    team_tokens = tokens.token_rows(tokens.tokens_of_team(team), now=now)
    token_forms = token_forms or {}
    return render(
        request,
        "api/team_tokens.html",
        {
            "team": team,
            "new_token": new_token,
            "account_form": account_form or ServiceAccountForm(),
            "accounts": [
                {
                    "account": account,
                    "form": token_forms.get(account.pk)
                    or ServiceAccountTokenForm(prefix=f"account-{account.pk}"),
                    "tokens": [
                        row
                        for row in team_tokens
                        if row.token.user_id == account.user_id and row.state != "revoked"
                    ],
                }
                for account in accounts
            ],
            "people": [
                row
                for row in team_tokens
                if row.state != "revoked" and row.token.user_id not in {a.user_id for a in accounts}
            ],
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def team_tokens(request: HttpRequest, slug: str) -> HttpResponse:
    return _team_page(request, get_team_or_404(request.user, slug, "manage_team"))


@never_cache
@login_required
@require_POST
def service_account_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    form = ServiceAccountForm(request.POST)
    account = apply_form(
        form, lambda name: tokens.service_account_create(team=team, name=name, by=request.user)
    )
    if account is None:
        return _team_page(request, team, account_form=form, status=400)
    messages.success(
        request, f"Service account {account.name} added. Make it a token to use the API."
    )
    return redirect("tokens:team", slug=team.slug)


@never_cache
@login_required
@require_POST
def service_account_token_create(request: HttpRequest, slug: str, account_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    account = get_object_or_404(ServiceAccount, pk=account_id, team=team)
    form = ServiceAccountTokenForm(request.POST, prefix=f"account-{account.pk}")
    made = apply_form(
        form,
        lambda name, scope, expires_on: tokens.token_create(
            team=team,
            name=name,
            scope=scope,
            expires_on=expires_on,
            by=request.user,
            service_account=account,
        ),
    )
    if made is None:
        return _team_page(request, team, token_forms={account.pk: form}, status=400)
    return _team_page(request, team, new_token=NewToken.of(made), status=201)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def team_token_revoke(request: HttpRequest, slug: str, token_id: int) -> HttpResponse:
    team = get_team_or_404(request.user, slug, "manage_team")
    token = get_object_or_404(tokens.tokens_of_team(team), pk=token_id)
    return _revoke(request, token, back=redirect("tokens:team", slug=team.slug).url)


def _revoke(request: HttpRequest, token: ApiToken, *, back: str) -> HttpResponse:
    """GET asks to confirm, saying what stops working; POST revokes."""
    if request.method == "POST":
        try:
            tokens.token_revoke(token=token, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"The token “{token.name}” ({token.prefix}) is revoked.")
        return redirect(back)
    row = tokens.token_rows([token], now=timezone.now())[0]
    return render(request, "api/token_revoke.html", {"row": row, "back": back})
