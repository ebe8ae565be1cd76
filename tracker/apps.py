from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = _("National IP plan")

    def ready(self):
        from . import languages  # noqa: F401  (connects the login signal)
        from .roles import sync_roles_after_migrate

        # After auth's create_permissions, which auth's ready() (earlier in INSTALLED_APPS)
        # connected, so the permissions the roles need exist by the time this runs.
        post_migrate.connect(
            sync_roles_after_migrate, sender=self, dispatch_uid="tracker.roles.sync_roles"
        )
