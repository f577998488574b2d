"""The shape of the house: no source file grows past what one person can read at a sitting.

The import contract (apps import downward only, no cycles, `core` and `notifications` import
no domain app, the route solver loads no Django module) is `.importlinter`, run by `make lint`.
"""
import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SOURCES = ("backend", "mobile_api", "volunteer_app", "loadtest")
MAX_LINES = 700


def source_files():
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".py", ".js", ".html", ".css"} or not path.is_file():
                continue
            if "migrations" in path.parts or "vendor" in path.parts:
                continue
            yield path


def test_sources_are_found():
    assert any(path.name == "models.py" for path in source_files())


def test_no_source_file_is_over_700_lines():
    long = {str(path.relative_to(ROOT)): n for path in source_files()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def public_functions(names: tuple[str, ...]):
    for top in ("backend", "mobile_api"):
        for name in names:
            for path in (ROOT / top).rglob(name):
                tree = ast.parse(path.read_text(encoding="utf-8"))
                for node in tree.body:
                    if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                        yield f"{path.relative_to(ROOT)}:{node.name}", node


def test_services_and_selectors_are_found():
    names = {name.split(":")[1] for name, _ in public_functions(("services.py", "selectors.py"))}
    assert {"reader_create", "order_create", "plan_publish", "due_back"} <= names


def test_every_public_service_and_selector_is_annotated():
    """`by: User | None`, `reader: Reader`, and what comes back: a reader of a service's
    signature knows what to pass without opening it."""
    bare = []
    for name, node in public_functions(("services.py", "selectors.py")):
        args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        missing = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
        if missing or node.returns is None:
            bare.append(f"{name}({', '.join(missing)}){'' if node.returns else ' -> ?'}")
    assert bare == []
