"""The house rules of DESIGN.md: only the app layer imports Streamlit."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "analytics"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_app_layer_imports_streamlit() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if "app" not in path.relative_to(PACKAGE).parts and "streamlit" in _imports(path)
    ]
    assert offenders == []


def test_the_check_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from streamlit import cache_data\n")
    assert "streamlit" in _imports(bad)


# -- the metrics package's public names, imported when first asked for ---------------------------
def _type_checking_exports(path: Path) -> dict[str, str]:
    """name -> defining module, from the `if TYPE_CHECKING:` imports of `path`."""
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                found.update({alias.name: stmt.module for alias in stmt.names})
    return found


def test_the_metrics_packages_three_lists_of_names_agree() -> None:
    """`__all__` (for readers and `import *`), the TYPE_CHECKING imports (for type checkers) and
    `_EXPORTS` (what `__getattr__` imports) name the same things in the same modules."""
    from analytics import metrics

    exports = {name: f"analytics.metrics.{module}"
               for module, names in metrics._EXPORTS.items() for name in names}
    assert sorted(metrics.__all__) == sorted(exports)
    assert _type_checking_exports(PACKAGE / "metrics" / "__init__.py") == exports
    import importlib

    for name, module in exports.items():
        assert getattr(metrics, name) is getattr(importlib.import_module(module), name), name


def test_importing_the_metrics_package_imports_no_metric_module() -> None:
    import subprocess
    import sys

    probe = ("import sys, analytics.metrics as m\n"
             "before = sorted(k for k in sys.modules if k.startswith('analytics.metrics.'))\n"
             "m.overview\n"
             "print(before, 'analytics.metrics.overview' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["[]", "True"]


def test_a_name_shared_with_its_module_means_the_function_whoever_imported_first() -> None:
    """`overview` and `flows` are functions and modules: importing the module first (as other
    metric modules do) must not leave the package's name bound to the module."""
    import subprocess
    import sys

    probe = ("import analytics.metrics.overview, analytics.metrics.flows\n"
             "from analytics import metrics\n"
             "print(callable(metrics.overview), callable(metrics.flows), metrics.flows.__module__)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True", "analytics.metrics.flows"]
