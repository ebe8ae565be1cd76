"""Names in the active language: kipplan's bilingual fields (``title_ko``/``title_en``) read
in the language of the request, falling back to the other one."""

from django.conf import settings
from django.utils import translation


def english_active():
    """Whether the active language is English (Korean otherwise, the default)."""
    return (translation.get_language() or settings.LANGUAGE_CODE).startswith("en")


def localized_pair(korean, english):
    """The active language's version of a Korean and English pair, or the other one."""
    if english_active():
        return english or korean
    return korean or english


def localized(obj, field):
    """The active language's version of a bilingual field, falling back to the other one."""
    return localized_pair(getattr(obj, f"{field}_ko"), getattr(obj, f"{field}_en"))
