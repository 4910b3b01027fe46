"""The rooms of the house stay rooms: no import cycle in bot/, no SQL outside bot/store, and no
unit of work opened by a channel."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterator, List, Set

ROOT = Path(__file__).resolve().parents[2]
SQL_NAMES = frozenset({"select", "insert", "update", "delete", "text"})
RAW_SQL = re.compile(r"^\s*(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
                     r"PRAGMA)\b", re.IGNORECASE | re.DOTALL)
# Product code that still writes SQL outside bot/store, to be moved into repositories. The list
# may only shrink: test_known_sql_offenders_still_offend drops entries that no longer apply.
KNOWN_SQL_OFFENDERS = frozenset({
    "rasa_server/stores.py",  # the Rasa tracker store's own SQLite pragmas (rasa_server plumbing)
})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import of the module, function-local ones included; not those only a type checker
    runs (`if TYPE_CHECKING:`)."""
    stack: List[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(package: str = "bot") -> Dict[str, Set[str]]:
    """Module -> the modules of `package` that importing it runs (packages' __init__ included,
    except the importer's own packages, which are already being imported)."""
    modules = {_module_name(path): path for path in _python_files(package)}
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        targets: Set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif node.level == 0 and node.module:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names
                               if f"{node.module}.{alias.name}" in modules)
        for target in targets:
            if target.split(".")[0] != package:
                continue
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                step = ".".join(parts[:i])
                if step in modules and step not in own and step != name:
                    graph[name].add(step)
    return graph


def find_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_bot_has_no_import_cycle() -> None:
    assert find_cycles(import_graph("bot")) == []


def test_the_cycle_finder_sees_a_function_local_import() -> None:
    graph = {"bot.a": {"bot.b"}, "bot.b": {"bot.a"}, "bot.c": set()}
    assert find_cycles(graph) == [["bot.a", "bot.b"]]
    tree = ast.parse("def f():\n    from bot.claims import model\n")
    assert [node.module for node in _imports(tree)] == ["bot.claims"]


def _sql_findings(path: Path) -> List[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: List[str] = []
    aliases: Set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"{node.lineno}: from {node.module} import {alias.name}"
                      for alias in node.names if alias.name in SQL_NAMES]
        elif isinstance(node, ast.Import):
            aliases.update(alias.asname or alias.name for alias in node.names
                           if alias.name.startswith("sqlalchemy"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases and node.attr in SQL_NAMES:
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "execute":
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in ("session", "connection", "cursor", "conn"):
                found.append(f"{node.lineno}: {name}.execute(...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and RAW_SQL.match(node.value):
            found.append(f"{node.lineno}: raw SQL {node.value[:40]!r}")
    return found


def _product_files() -> Iterator[Path]:
    for path in _python_files("bot", "actions", "channels", "components", "rasa_server"):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith("bot/store/"):
            yield path


def test_no_sql_outside_the_store() -> None:
    offenders = {}
    for path in _product_files():
        relative = path.relative_to(ROOT).as_posix()
        found = _sql_findings(path)
        if found and relative not in KNOWN_SQL_OFFENDERS:
            offenders[relative] = found
    assert offenders == {}, "SQL belongs in bot/store/repositories.py"


def test_known_sql_offenders_still_offend() -> None:
    stale = {name for name in KNOWN_SQL_OFFENDERS
             if not (ROOT / name).exists() or not _sql_findings(ROOT / name)}
    assert stale == set(), "moved into the store: drop them from KNOWN_SQL_OFFENDERS"


def test_the_sql_lint_sees_a_query() -> None:
    source = "from sqlalchemy import select\ndef f(uow):\n    uow.session.execute(q)\n"
    path = ROOT / "tests" / "bot" / "_sql_probe.py"
    try:
        path.write_text(source + "X = 'SELECT id FROM claims'\n", encoding="utf-8")
        assert len(_sql_findings(path)) == 3
    finally:
        path.unlink()


def test_channels_never_open_a_unit_of_work() -> None:
    offenders = sorted(path.relative_to(ROOT).as_posix() for path in _python_files("channels")
                       if "unit_of_work(" in path.read_text(encoding="utf-8"))
    assert offenders == []
