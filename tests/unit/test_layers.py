"""The rooms of the architecture import one way: nothing the server runs (server/, console/,
service/, store/, auth/, policy/, protocol/, analysis/) imports the client (cli/)."""

import ast
from pathlib import Path

import pytest

import iamd

ROOT = Path(iamd.__file__).parent
SERVER_SIDE = ("server", "console", "service", "store", "auth", "policy", "protocol", "analysis")


def imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    package = ["iamd", *path.relative_to(ROOT).parent.parts]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.update([module] + [f"{module}.{a.name}" for a in node.names])
    return out


@pytest.mark.parametrize("room", SERVER_SIDE)
def test_server_side_never_imports_the_client(room):
    bad = {str(p.relative_to(ROOT)): sorted(m for m in imports(p) if m.startswith("iamd.cli"))
           for p in (ROOT / room).rglob("*.py")}
    assert {p: m for p, m in bad.items() if m} == {}
