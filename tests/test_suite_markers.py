"""The SLOW list in conftest.py names tests that exist: a renamed test would otherwise drop back into the fast subset
unnoticed (and a misspelt name would mark nothing)."""
import ast

from helpers import ROOT


def slow_list() -> dict:
    """tests/conftest.py's SLOW, read from its source (a module named conftest is ambiguous: tests/e2e has one)."""
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text())
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "SLOW")
    return ast.literal_eval(node.value)


def test_every_name_in_the_slow_list_is_a_test_in_its_file():
    missing = []
    for name, tests in slow_list().items():
        path = ROOT / "tests" / name
        assert path.is_file(), f"SLOW names {name}, which is not in tests/"
        defined = {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
        missing += [f"{name}::{t}" for t in tests if t not in defined or not t.startswith("test_")]
    assert len(slow_list()) > 10 and not missing, missing
