from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from tracker.languages import set_language


def healthz(request):
    """A trivial view: for load balancers, and as the baseline in the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("", include("tracker.urls")),
]
