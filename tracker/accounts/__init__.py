"""The people: users' memberships of agencies, their profiles (the language they chose),
password reset requests (``password_reset``), and the interface language (``languages``)."""
