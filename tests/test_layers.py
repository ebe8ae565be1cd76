"""The parts of the cycle stand in floors, and each imports only what stands on its own floor or
below (README, "Where each part of the cycle lives"). A part that adds to a lower one's screen
registers itself there (``TaskAdmin.add_page``) rather than being imported by it."""

import ast
from pathlib import Path

import pytest

TRACKER = Path(__file__).resolve().parent.parent / "tracker"

# The floor of each part, from the ground up. Parts on one floor do not import each other.
FLOORS = {
    "common": 0, "roles": 0,
    "plans": 1,
    "accounts": 2, "access": 2,
    "progress": 3,
    "evaluation": 4,
    "follow_up": 5,
    "publishing": 6,
    "loading": 7, "overview": 7, "api": 7,
}
# What loads every part, and may import any of them.
ABOVE_ALL = {"admin", "urls", "models", "management", "templatetags", "apps", "migrations"}


def part_of(module):
    """'tracker.evaluation.admin' -> 'evaluation'; None outside tracker."""
    names = module.split(".")
    return names[1] if names[0] == "tracker" and len(names) > 1 else None


def tracker_imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "tracker":
                yield from (f"tracker.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def modules():
    for path in sorted(TRACKER.rglob("*.py")):
        part = path.relative_to(TRACKER).parts[0].removesuffix(".py")
        if part in FLOORS:
            yield part, path


def test_every_part_has_a_floor():
    parts = {path.name.removesuffix(".py") for path in TRACKER.iterdir()
             if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())}
    assert parts - {"__init__"} <= set(FLOORS) | ABOVE_ALL


@pytest.mark.parametrize("part,path", list(modules()),
                         ids=lambda value: getattr(value, "name", value))
def test_each_module_imports_only_its_floor_and_below(part, path):
    higher = []
    for imported in tracker_imports(path):
        other = part_of(imported)
        if other is None or other == part:
            continue
        if other in ABOVE_ALL or FLOORS[other] >= FLOORS[part]:
            higher.append(imported)
    assert higher == [], f"{path.relative_to(TRACKER.parent)} imports from above: {higher}"
