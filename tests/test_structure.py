"""The layers stay as DESIGN.md draws them ("Layers"), checked on the source (AST):

- the rules (``portal/domain``) and the models import no Flask, no extension, no web glue
  and no blueprint;
- a blueprint builds no SQL statement: it parses input, calls the domain and renders;
- a view function is at most 25 lines.

Each check takes a module's source and its path and returns "path:line: message" for
every violation; the tests run them on the real tree and on planted samples.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = ("admin", "auth", "learner", "coach", "main")
FORBIDDEN_BELOW_WEB = ("flask", "flask_login", "flask_wtf", "portal.extensions", "portal.web",
                       *(f"portal.{name}" for name in BLUEPRINTS))
# What builds a statement (or the WHERE of one) in SQLAlchemy.
SQL_BUILDERS = frozenset({"select", "insert", "update", "delete", "text", "exists", "func",
                          "or_", "and_", "case"})
MAX_VIEW_LINES = 25
VIEW_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete"})


def module_name(path: str) -> str:
    """'portal/domain/access.py' -> 'portal.domain.access' (a package: its __init__)."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package(path: str) -> str:
    name = module_name(path)
    return name if Path(path).name == "__init__.py" else name.rpartition(".")[0]


def imported_modules(node: ast.AST, path: str) -> list[str]:
    """The absolute names an import statement brings in (relative forms resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = _package(path).split(".")
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    # "from .. import web" imports the module portal.web: name each imported name too.
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_violations(source: str, path: str) -> list[str]:
    """A module of the domain or the models that imports Flask, an extension, the web
    glue or a blueprint."""
    problems = []
    for node in ast.walk(ast.parse(source, path)):
        for name in imported_modules(node, path):
            bad = next((p for p in FORBIDDEN_BELOW_WEB if _is_under(name, p)), None)
            if bad:
                problems.append(f"{path}:{node.lineno}: imports {bad} ({name}); the domain "
                                "and the models take the db session and `now` as parameters")
                break
    return problems


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def sql_violations(source: str, path: str) -> list[str]:
    """A blueprint module that imports a SQL builder from sqlalchemy, or calls one
    (``select(...)``, ``sa.select(...)``, ``func.count(...)``)."""
    tree = ast.parse(source, path)
    sqlalchemy_aliases = {"sqlalchemy"}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            sqlalchemy_aliases |= {(a.asname or a.name).split(".")[0] for a in node.names
                                   if _is_under(a.name, "sqlalchemy")}
        elif isinstance(node, ast.ImportFrom) and _is_under(node.module or "", "sqlalchemy"):
            for alias in node.names:
                if alias.name in SQL_BUILDERS:
                    problems.append(f"{path}:{node.lineno}: imports {alias.name} from "
                                    f"{node.module}; queries belong in portal/domain")
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.col_offset))
    for node in calls:
        func = node.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        root = _root_name(func)
        if isinstance(func, ast.Name) and called in SQL_BUILDERS or (
                isinstance(func, ast.Attribute) and (root in sqlalchemy_aliases
                                                     or root == "func")):
            problems.append(f"{path}:{node.lineno}: calls {ast.unparse(func)}(); "
                            "queries belong in portal/domain")
    return problems


def _is_view(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in VIEW_DECORATORS:
            return True
    return False


def long_views(source: str, path: str, limit: int = MAX_VIEW_LINES) -> list[str]:
    """A view function (decorated ``@<blueprint>.route/get/post...``) longer than
    ``limit`` lines, from its ``def`` to its last line, decorators excluded."""
    problems = []
    for node in ast.walk(ast.parse(source, path)):
        if _is_view(node):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                problems.append(f"{path}:{node.lineno}: view {node.name} has {length} lines "
                                f"(at most {limit}); move work into helpers or the domain")
    return problems


def _modules(*packages: str) -> list[tuple[str, str]]:
    """(source, path relative to the project) of every module of ``packages``."""
    files = sorted(f for package in packages for f in (ROOT / "portal" / package).rglob("*.py"))
    return [(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT))) for f in files]


def _run(check, packages) -> list[str]:
    return [problem for source, path in _modules(*packages) for problem in check(source, path)]


# --- the real tree -------------------------------------------------------------------


def test_the_domain_and_the_models_import_no_flask_and_no_blueprint():
    assert len(_modules("domain", "models")) > 20
    assert _run(layer_violations, ("domain", "models")) == []


@pytest.mark.parametrize("package", BLUEPRINTS)
def test_blueprints_build_no_sql(package):
    assert _run(sql_violations, (package,)) == []


@pytest.mark.parametrize("package", BLUEPRINTS)
def test_views_are_at_most_25_lines(package):
    assert _run(long_views, (package,)) == []


# --- planted violations are caught -------------------------------------------------

PLANTED_IMPORTS = """\
from datetime import datetime
import flask
from flask_login import current_user
import flask_wtf.file
from portal.extensions import db
from ..web import current_actor
from .. import web
from ..admin.lookups import users
from . import journal
from ..models import User
import sqlalchemy
"""


def test_layer_check_catches_each_forbidden_import():
    problems = layer_violations(PLANTED_IMPORTS, "portal/domain/planted.py")
    assert [p.split(": ")[0] for p in problems] == [
        f"portal/domain/planted.py:{line}" for line in (2, 3, 4, 5, 6, 7, 8)]
    assert "imports portal.web (portal.web)" in problems[4]
    assert "imports portal.admin" in problems[6]


def test_layer_check_resolves_relative_imports_from_a_package():
    source = "from ..web import gate\nfrom . import base\n"
    assert layer_violations(source, "portal/models/__init__.py") == [
        "portal/models/__init__.py:1: imports portal.web (portal.web); the domain and the "
        "models take the db session and `now` as parameters"]


PLANTED_SQL = """\
from sqlalchemy import select, func as f
from sqlalchemy.orm import selectinload
import sqlalchemy as sa


@bp.route("/users/<int:user_id>/delete", methods=["POST"])
def users_delete(user_id):
    values = {}
    values.update(a=1)
    rows = db.session.scalars(select(User).where(User.id == user_id))
    n = db.session.scalar(sa.select(sa.func.count()))
    m = func.lower(User.name)
    return delete_user(db.session, user_id)
"""


def test_sql_check_catches_statements_and_not_names():
    problems = sql_violations(PLANTED_SQL, "portal/admin/planted.py")
    assert [p.split(": ")[0] for p in problems] == [
        "portal/admin/planted.py:1", "portal/admin/planted.py:1",
        "portal/admin/planted.py:10", "portal/admin/planted.py:11",
        "portal/admin/planted.py:11", "portal/admin/planted.py:12"]
    assert "imports select from sqlalchemy" in problems[0]
    assert "calls select()" in problems[2]
    assert "calls sa.select()" in problems[3]
    # The view named users_delete, dict.update and delete_user are not SQL.
    assert not any("users_delete" in p or "update" in p or "delete_user" in p
                   for p in problems)


def test_length_check_counts_from_def_to_the_last_line():
    body = "\n".join(f"    x{i} = {i}" for i in range(23))
    fits = f'@bp.route("/a")\n@login_required\ndef fits():\n{body}\n    return x0\n'
    too_long = f'@bp.post("/b")\ndef too_long():\n{body}\n    y = 1\n    return y\n'
    helper = f'def helper():\n{body}\n    y = 1\n    return y\n'
    assert long_views(fits, "portal/main/planted.py") == []  # 25 lines
    assert long_views(too_long + helper, "portal/main/planted.py") == [
        "portal/main/planted.py:2: view too_long has 26 lines (at most 25); move work into "
        "helpers or the domain"]
