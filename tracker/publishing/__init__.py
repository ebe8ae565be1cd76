"""The annual report to the National Assembly (시행령 art. 17): its content (``content``),
its HWPX and PDF files (``hwpx``, ``pdf``), made and marked as sent (``services``)."""
