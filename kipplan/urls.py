from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from kipplan.health import readyz
from tracker.accounts.languages import set_language
from tracker.accounts.password_reset import PasswordResetView


def healthz(request):
    """A trivial view: for load balancers, and as the baseline in the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    # kipplan's reset view (throttled, its email in the user's language) before Django's; the
    # admin's login page links to "admin_password_reset" when it exists. Django's own views
    # answer the other steps, with kipplan's templates (templates/registration/).
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="admin_password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", include("tracker.api.urls")),
    path("", include("tracker.urls")),
]

# Error pages that render without the database; a database that is down answers 503.
handler500 = "kipplan.health.server_error"
