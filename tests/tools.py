"""
Outside tools some tests need: Chromium, Node's packages (axe-core, vnu-jar), Java and GNU
gettext. Where one
is missing the test skips and says how to get it, so `make test` passes on a machine with only
Python; on CI (CI=true), which installs them all, a missing tool fails the test instead.
"""

import os
import shutil
from pathlib import Path

import pytest

NODE_MODULES = Path(__file__).resolve().parent / "node" / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
NPM_HINT = "`make test` installs it with npm (npm ci --prefix tests/node)"


def npm_package(path, name):
    """Why the npm package at path is unusable, or None."""
    if not path.exists():
        if not shutil.which("npm"):
            return f"{name} needs Node.js and npm, which are not installed"
        return f"{name} is not installed; {NPM_HINT}"
    return None


def java():
    """Why Java is unusable, or None."""
    if shutil.which("java"):
        return None
    return "Java is not installed (Debian: apt install default-jre-headless)"


def gettext():
    """Why GNU gettext (for makemessages) is unusable, or None."""
    if shutil.which("xgettext"):
        return None
    return "GNU gettext (xgettext) is not installed (Debian: apt install gettext)"


def need(*reasons):
    """Skip (fail on CI) for the first reason a tool is missing; reasons that are None pass."""
    for reason in reasons:
        if reason:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must provide this tool: {reason}")
            pytest.skip(reason)
