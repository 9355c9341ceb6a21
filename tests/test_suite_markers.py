"""The SLOW list in conftest.py names tests that exist: a renamed test would otherwise drop back into the fast subset
unnoticed (and a misspelt name would mark nothing)."""
import ast

from conftest import SLOW
from helpers import ROOT


def test_every_name_in_the_slow_list_is_a_test_in_its_file():
    missing = []
    for name, tests in SLOW.items():
        path = ROOT / "tests" / name
        assert path.is_file(), f"SLOW names {name}, which is not in tests/"
        defined = {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
        missing += [f"{name}::{t}" for t in tests if t not in defined or not t.startswith("test_")]
    assert not missing, missing
