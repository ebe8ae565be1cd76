"""
An edit made on a stale page: the one error every versioned write raises (progress reports,
year-end results, scores, budget advice), and the one way a form gives the user back what
they typed. Each write checks the version the user opened inside the UPDATE that saves it, so
nothing the user has not seen is overwritten; the user then sees the record as it is now, with
their own input still in the form.
"""


class StaleEdit(Exception):
    """The record changed, or went, after the user opened it; nothing was saved. ``current``
    is the record as it is now (None: there is none any more); ``str(error)`` tells the user
    what happened, in the request's language."""

    def __init__(self, message, current=None):
        self.current = current
        super().__init__(message)

    @property
    def version(self):
        return None if self.current is None else self.current.version

    def message(self) -> str:
        return str(self)


def rebind(form_class, data, error: StaleEdit, *, prefix=None, **kwargs):
    """``form_class`` bound again to what the user typed (``data``), against the record's
    version now, with the error said above its fields: nothing typed is lost, and saving again
    overwrites only what the user has now seen."""
    data = data.copy()
    field = f"{prefix}-version" if prefix else "version"
    data[field] = "" if error.version is None else error.version
    form = form_class(data, prefix=prefix, **kwargs) if prefix else form_class(data, **kwargs)
    form.is_valid()
    form.add_error(None, str(error))
    return form
