"""
Evidence files are served here and nowhere else: never from a storage URL, only to a logged-in
user who may read the task's results (``tracker.results.tasks_readable_by``: its agencies' staff,
the plan managers, the evaluators assigned to it), always as a download. Anyone else gets the
404 of a file that does not exist, whatever the published pages show.
"""

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotFound
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .evidence import CONTENT_TYPES
from .models import EvidenceFile
from .results import tasks_readable_by

logger = logging.getLogger(__name__)


@require_safe
@login_required
def evidence_download(request, pk):
    """An evidence file, as an attachment under its own name. A withdrawn file still downloads
    for those who may read it (its listing says it was withdrawn)."""
    evidence = (EvidenceFile.objects
                .filter(pk=pk, result__task__in=tasks_readable_by(request.user))
                .first())
    if evidence is None:
        raise Http404(_("No such evidence file."))
    storage = evidence.file.storage
    try:
        handle = storage.open(evidence.file.name, "rb")
    except (FileNotFoundError, OSError):
        handle = None
    if handle is None:
        logger.error("Evidence file %s (%s) is missing from the storage", evidence.pk,
                     evidence.file.name)
        return HttpResponseNotFound(
            _("The file “%(name)s” cannot be found in the storage. Tell the plan managers, "
              "who can restore it from the backup.") % {"name": evidence.name},
            content_type="text/plain; charset=utf-8")
    response = FileResponse(handle, as_attachment=True, filename=evidence.name,
                            content_type=CONTENT_TYPES[evidence.kind])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
