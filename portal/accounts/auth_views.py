"""Sign-in, password change and password reset: Django's views, with every password change
going through the services (so it is recorded) and reset requests throttled."""

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from portal.accounts import services, two_factor
from portal.accounts.forms import LoginForm
from portal.audit.context import client_ip

THROTTLED = (
    "Too many password reset requests from this address or for this e-mail address. "
    "Wait an hour and try again, or ask a portal administrator."
)


class LoginView(auth_views.LoginView):
    """The password step. Who has an authenticator app gives a code next; who must use one and
    has none sets one up (see `two_factor.pending_step`); everybody else is signed in."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        step = two_factor.password_step_done(self.request)
        if step is None:
            two_factor.sign_in_completed(self.request, self.request.user)
            return response
        url = reverse("two_factor_verify" if step == "verify" else "two_factor_enrol")
        return HttpResponseRedirect(f"{url}?{urlencode({'next': self.get_success_url()})}")


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        user = self.request.user
        services.password_change(user=user, password=form.cleaned_data["new_password1"], by=user)
        update_session_auth_hash(self.request, user)  # stay signed in here, nowhere else
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not services.password_reset_request(email=email, ip=client_ip(self.request)):
            form.add_error(None, THROTTLED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)  # mails the links, then shows "check your inbox"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        services.password_reset(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())
