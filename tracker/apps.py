from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = _("National IP plan")

    def ready(self):
        from . import languages  # noqa: F401  (connects the login signal)
