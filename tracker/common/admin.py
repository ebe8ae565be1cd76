
from django.contrib import admin

from tracker.common.i18n import localized


def localized_column(field, description):
    """A change-list column of a bilingual field (``title``, ``name``) in the active language,
    falling back to the other one."""

    @admin.display(description=description, ordering=f"{field}_ko")
    def column(self, obj):
        return localized(obj, field)

    return column


