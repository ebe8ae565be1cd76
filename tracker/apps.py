from django.apps import AppConfig
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tracker"
    verbose_name = _("National IP plan")

    def ready(self):
        from kipplan import page_cache
        from tracker.accounts import languages  # noqa: F401  (connects the login signal)
        from tracker.roles import sync_roles_after_migrate

        # After auth's create_permissions, which auth's ready() (earlier in INSTALLED_APPS)
        # connected, so the permissions the roles need exist by the time this runs.
        post_migrate.connect(
            sync_roles_after_migrate, sender=self, dispatch_uid="tracker.roles.sync_roles"
        )
        # Every write replaces the data's revision, which keys the cached pages.
        connection_created.connect(page_cache.install, dispatch_uid="kipplan.page_cache.install")
        for connection in connections.all(initialized_only=True):
            page_cache.install(sender=None, connection=connection)
        pre_migrate.connect(page_cache.pause_for_migrations,
                            dispatch_uid="kipplan.page_cache.pause")
        post_migrate.connect(page_cache.resume_after_migrations, sender=self,
                             dispatch_uid="kipplan.page_cache.resume")
