"""Two doors, one house: the pages and the API reach the domain through the same actions and
selectors, never through each other; the organisation tree needs nothing from casework."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """(module, line, inside a function) for every import in the tree."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, child.lineno, in_function))
                found.extend(
                    (f"{child.module}.{alias.name}", child.lineno, in_function) for alias in child.names
                )
            visit(child, nested)

    visit(tree, False)
    return found


def sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts)


def test_imports_are_found_at_module_and_function_level():
    tree = ast.parse("import apps.api\ndef f():\n    from apps.casework.models import Category\n")
    assert ("apps.api", 1, False) in imported_modules(tree)
    assert ("apps.casework.models", 3, True) in imported_modules(tree)


def test_web_pages_never_import_the_api():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("apps/web")
        for module, line, _in_function in imported_modules(ast.parse(path.read_text()))
        if module == "apps.api" or module.startswith("apps.api.")
    ]
    assert offending == []


def test_organizations_import_nothing_of_casework_inside_functions():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module} inside a function"
        for path in sources("apps/organizations")
        for module, line, in_function in imported_modules(ast.parse(path.read_text()))
        if in_function and (module == "apps.casework" or module.startswith("apps.casework."))
    ]
    assert offending == []


def test_category_is_one_class_for_routing_rules_and_requests():
    from apps.casework.models import Category as CaseworkCategory
    from apps.organizations.categories import Category

    assert CaseworkCategory is Category
