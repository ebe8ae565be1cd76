"""/api/v1/: the resources, the OpenAPI 3 schema, and its documentation page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter, SimpleRouter

from tracker.api import views

app_name = "api"

# Path converters rather than regular expressions: years and numbers are integers, in the URLs
# and in the schema.
router = DefaultRouter(trailing_slash=True, use_regex_path=False)
router.include_format_suffixes = False
router.register("plans", views.PlanViewSet, basename="plan")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register("technologies", views.TechnologyViewSet, basename="technology")
router.register("statistics", views.StatisticViewSet, basename="statistic")

tasks = SimpleRouter(trailing_slash=True, use_regex_path=False)
tasks.register("plans/<int:year>/tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(tasks.urls)),
    path("", include(router.urls)),
]
