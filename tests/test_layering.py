"""The package's imports run one way: lower folders never import higher ones, and no circles.

From the bottom: the shared base (errors, files, the version), then model, images, weights,
objective, optim, outputs, runtime, then the orchestration of a run (config, build, stylize),
then what runs many of them (batch), then the entry points (cli, batch_cli), then tools. A
module may import its own level or any level below. Imports inside functions count too: a
lazy import that runs up is still a dependency that runs up.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "nst_tf"
LEVELS = [
    ("errors", "files", "__init__"),
    ("model",),
    ("images",),
    ("weights",),
    ("objective",),
    ("optim",),
    ("outputs",),
    ("runtime",),
    ("config", "configs", "build", "stylize"),
    ("batch",),
    ("cli", "batch_cli"),
    ("tools",),
]
LEVEL = {part: index for index, parts in enumerate(LEVELS) for part in parts}


def _home(module: str) -> str:
    """nst_tf.objective.terms.style -> objective; nst_tf -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: pathlib.Path) -> set[str]:
    """The nst_tf modules `module` imports, anywhere in its file."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *filter(None, [base])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] == "nst_tf"}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        module: {name for name in _imports(module, path) if name in modules and name != module}
        for module, path in modules.items()
    }


def test_every_module_has_a_level():
    unknown = sorted({_home(module) for module in _modules()} - set(LEVEL))
    assert not unknown, f"give these folders or modules a level in LEVELS: {unknown}"


def test_no_import_runs_up_the_layers():
    upward = [
        f"{module} ({_home(module)}) imports {name} ({_home(name)})"
        for module, names in _graph().items()
        for name in sorted(names)
        if LEVEL[_home(name)] > LEVEL[_home(module)]
    ]
    assert not upward, "imports that run up the layering:\n" + "\n".join(upward)


def test_no_import_circles():
    graph = _graph()
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for name in sorted(graph[module]):
            if state.get(name) == "open":
                cycle = [*path[path.index(name) :], name]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if name not in state:
                visit(name)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_the_checker_sees_an_upward_import(tmp_path):
    # A module of a low folder that imports a high one must be reported, or the test is blind.
    source = "from nst_tf.build import build\nfrom . import losses\n"
    module = tmp_path / "objective.py"
    module.write_text(source)
    names = _imports("nst_tf.objective.fake", module)
    assert "nst_tf.build" in names and "nst_tf.objective.losses" in names
    assert LEVEL[_home("nst_tf.build")] > LEVEL[_home("nst_tf.objective.fake")]
