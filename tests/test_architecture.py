"""The package's shape, checked: no import circle, serving imports no exporter and no ML
framework, and ARCHITECTURE.md names every registered source, runtime and kind."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGE = REPO / "src" / "clientside"
ARCHITECTURE = (REPO / "ARCHITECTURE.md").read_text()


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def import_graph() -> dict[str, set[str]]:
    """module -> the clientside modules it imports, at the top or inside a function (those
    under `if TYPE_CHECKING:` never run, so they are not edges)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if _type_checking_only(node, parents):
                continue
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from . import x` imports the submodule x where there is one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = import_graph()
    assert "clientside.bundle" in graph["clientside"] and "clientside.contract" in graph["clientside.bundle"]
    assert "clientside.runtimes.tfjs.write" in graph["clientside.runtimes.tfjs"]  # imports inside functions count


def test_no_import_circle_in_the_package():
    assert cycles(import_graph()) == []


#: What serving must never import: the ML frameworks and converters, and the export side of
#: clientside (sources, the pipeline, the runtimes' writers, converters and Node runners).
FRAMEWORKS = ("keras", "torch", "jax", "jaxlib", "sklearn", "skl2onnx", "onnxruntime", "onnxscript", "tensorflow",
              "transformers")
EXPORT_SIDE = re.compile(r"clientside\.(sources|pipeline|verify|runtimes\.(choice|affine|node|"
                         r"tfjs\.(write|verify|node|weights|converter)|onnx\.(write|quantize|run|node|graph)))\b")

SERVE = """
import json, sys
from clientside import create_app
for folder in sys.argv[1:]:
    client = create_app(folder).test_client()
    contract = client.get("/api/model").get_json()
    for url in ["/", "/sw.js", "/api/model", f"/model/{contract['files'][0]['path']}",
                "/static/worker.js", "/healthz"]:
        assert client.get(url, buffered=True).status_code == 200, url
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by_serving(*folders) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", SERVE, *map(str, folders)], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory):
    import onnx  # the onnx extra (make install)
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    path = tmp_path_factory.mktemp("onnx") / "relu.onnx"
    onnx.save(model, path)
    return path


def test_serving_a_tfjs_and_an_onnx_bundle_loads_no_exporter_and_no_framework(small_bundle, onnx_file, tmp_path):
    import clientside

    onnx_bundle = clientside.export(onnx_file, tmp_path / "relu")
    modules = loaded_by_serving(small_bundle, onnx_bundle)
    assert "clientside.runtimes.tfjs" in modules and "clientside.runtimes.onnx" in modules  # the check is real
    assert [m for m in modules if m.split(".")[0] in FRAMEWORKS or m == "onnx" or m.startswith("onnx.")] == []
    assert [m for m in modules if EXPORT_SIDE.match(m)] == []


def test_serving_a_plain_onnx_file_reads_its_graph_and_nothing_more(onnx_file):
    """A plain .onnx file has no contract: its inputs and outputs come from the graph (the onnx
    package, a protobuf reader), still with no exporter and no framework."""
    modules = loaded_by_serving(onnx_file)
    assert "onnx" in modules and "clientside.runtimes.onnx.graph" in modules
    assert [m for m in modules if m.split(".")[0] in FRAMEWORKS] == []
    assert [m for m in modules if EXPORT_SIDE.match(m) and m != "clientside.runtimes.onnx.graph"] == []


def test_serving_a_hugging_face_bundle_imports_no_framework(hf_sentiment_bundle):
    """Its tokenizer is a bundle file the page reads; the server reads it only to prepare text
    itself (HF tokenizers, on first use), never with transformers or torch."""
    modules = loaded_by_serving(hf_sentiment_bundle)
    assert "clientside.steps.tokenizer_json" in modules  # the check is real
    assert [m for m in modules if m.split(".")[0] in FRAMEWORKS] == []
    assert "tokenizers" not in modules and [m for m in modules if EXPORT_SIDE.match(m)] == []


def _named(names) -> list[str]:
    return [name for name in names if f"`{name}`" not in ARCHITECTURE]


def test_architecture_names_every_source_runtime_and_kind():
    from clientside import contract, runtimes, sources, steps

    assert _named(s.name for s in sources.SOURCES) == []
    assert _named(runtimes.RUNTIMES) == []
    assert _named(steps.KINDS) == []
    assert _named(contract.schema()["$defs"]["output"]["properties"]["kind"]["enum"]) == []
    for module in ("sources/", "runtimes/", "contract/", "steps/", "static/inputs/", "static/outputs/",
                   "static/steps/", "static/runtimes/"):
        assert module in ARCHITECTURE, module
