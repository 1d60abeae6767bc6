"""bot/ stays platform- and storage-neutral: no SDK, spaCy, ORM or scheduler imports."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "spacy",
    "thinc",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "aiohttp",
    "psycopg",
}
OUR_HEAVY = {"store", "classifier", "adapters", "digests"}


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, at_module_level) for every import in the tree."""
    found: list[tuple[str, bool]] = []
    top_level = {id(n) for n in getattr(tree, "body", [])}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top_level))
    return found


def test_bot_imports_no_platform_sdk_spacy_or_orm() -> None:
    offenders = []
    files = sorted((ROOT / "bot").rglob("*.py"))
    assert files, "bot/ has no modules"
    for path in files:
        for module, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_bot_reaches_our_heavy_packages_only_lazily() -> None:
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for module, top in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if top and module.split(".")[0] in OUR_HEAVY:
                offenders.append(f"{path.relative_to(ROOT)} imports {module} at module level")
    assert offenders == []


def test_the_walker_catches_a_forbidden_import() -> None:
    tree = ast.parse("import os\ndef f():\n    from spacy.tokens import Doc\n")
    assert ("spacy.tokens", False) in _imports(tree)
    assert ("os", True) in _imports(tree)


def test_teams_sdk_stays_inside_adapters_teams() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in (".venv", "tests") or rel.parts[:2] == ("adapters", "teams"):
            continue
        for module, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.split(".")[0] in ("botbuilder", "botframework"):
                offenders.append(f"{rel} imports {module}")
    assert offenders == []
