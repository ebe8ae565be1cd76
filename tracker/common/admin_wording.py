"""
kipplan's own Korean for the admin's generic sentences. Django's Korean catalogue writes some of
them with both particles in brackets ("과제 를(을) 선택", "이/가") or half-translated ("뷰 %s",
"보기위한 1%s"). The catalogue in locale/ (LOCALE_PATHS), which Django reads before its own,
translates these same sentences anew; they are listed here, never called, so that
`make messages` keeps them there and the catalogue test checks them like kipplan's own.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

ADMIN_SENTENCES = [
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("Successfully deleted %(count)d %(items)s."),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    gettext_noop("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?"),
    gettext_noop("View %s"),
    gettext_noop(
        "Deleting %(class_name)s %(instance)s would require deleting the "
        "following protected related objects: %(related_objects)s"),
    gettext_noop(
        "Deleting the %(object_name)s '%(escaped_object)s' would result in "
        "deleting related objects, but your account doesn't have permission to "
        "delete the following types of objects:"),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s "
        "\"%(escaped_object)s\"? All of the following related items will be "
        "deleted:"),
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    gettext_noop("%(name)s object with primary key %(key)r does not exist."),
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("Select a valid choice. %(value)s is not one of the available choices."),
    gettext_noop("“%(path)s” does not exist"),
    gettext_noop(" By %(filter_title)s "),
    gettext_noop("Filter"),
    gettext_noop("Start typing to filter…"),
]
CHANGED = ngettext_lazy("%(count)s %(name)s was changed successfully.",
                        "%(count)s %(name)s were changed successfully.", "count")
