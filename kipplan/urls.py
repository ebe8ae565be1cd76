from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The manager pages arrive with the progress-pages issue; until then the admin is the app.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
]
