"""The settings bench/load serves with: production's, with the trivial logged-in page added."""

from kipplan.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load.urls"
