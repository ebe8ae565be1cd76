"""A user's own API tokens page: make a token (its key shown once, on the answer to the form),
see when each was used last, revoke one."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from tracker.access import reads_the_plan
from tracker.api.models import MAX_DAYS, ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy(
        "What the token is for, such as the system that uses it."))
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1,
                              max_value=MAX_DAYS)


class TokensView(LoginRequiredMixin, TemplateView):
    template_name = "tracker/api/tokens.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not reads_the_plan(request.user):
            raise PermissionDenied(_("Evaluators see their assignments in the admin, not the "
                                     "plan's pages or data."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", TokenForm(initial={"days": settings.KIPPLAN_API_TOKEN_DAYS}))
        return super().get_context_data(
            tokens=ApiToken.objects.filter(user=self.request.user), max_days=MAX_DAYS, **kwargs)

    def post(self, request, *args, **kwargs):
        if "revoke" in request.POST:
            return self.revoke(request.POST["revoke"])
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = ApiToken.objects.issue(user=request.user,
                                                    name=form.cleaned_data["name"],
                                                    days=form.cleaned_data["days"])
            except ValidationError as error:
                form.add_error(None, error)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        # The key is on this answer only: not in a message, a session or a cache.
        response = self.render_to_response(self.get_context_data(new_token=token, key=key),
                                           status=201)
        response["Cache-Control"] = "no-store"
        return response

    def revoke(self, pk):
        token = ApiToken.objects.filter(user=self.request.user, pk=pk).first() if (
            str(pk).isascii() and str(pk).isdigit()) else None
        if token is None:
            raise Http404(_("You have no token with that id."))
        if token.revoked_at is None:
            token.revoke()
            messages.success(self.request, _("The token “%(name)s” is revoked: it no longer "
                                             "signs anyone in.") % {"name": token.name})
        return redirect("tracker:api_tokens")
