"""TF.js files from npm (package-lock.json), served by the app itself: never a CDN."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import BundleError

#: URL name -> path inside node_modules. The page loads exactly these. The ES2017 builds:
#: smaller than the ES5 ones (every browser with wasm SIMD runs ES2017).
VENDOR_FILES: dict[str, str] = {
    "tf-core.min.js": "@tensorflow/tfjs-core/dist/tf-core.es2017.min.js",
    "tf-layers.min.js": "@tensorflow/tfjs-layers/dist/tf-layers.es2017.min.js",
    "tf-backend-cpu.min.js": "@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.es2017.min.js",
    "tf-backend-webgl.min.js": "@tensorflow/tfjs-backend-webgl/dist/tf-backend-webgl.es2017.min.js",
    "tf-backend-wasm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js",
    "tfjs-backend-wasm.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm":
        "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
}

VENDOR_ENV = "CLIENTSIDE_NODE_MODULES"


def find_vendor_root() -> Path:
    """The node_modules folder that holds every file of VENDOR_FILES."""
    candidates = []
    if os.environ.get(VENDOR_ENV):
        candidates.append(Path(os.environ[VENDOR_ENV]))
    here = Path(__file__).resolve()
    candidates += [Path.cwd() / "node_modules"] + [p / "node_modules" for p in here.parents]
    for root in candidates:
        if all((root / rel).is_file() for rel in VENDOR_FILES.values()):
            return root
    raise BundleError(
        "TF.js is not installed, so the page could not load it: run `npm ci` in the "
        f"clientside project, or set {VENDOR_ENV} to a node_modules folder holding "
        + ", ".join(sorted({rel.split('/dist/')[0] for rel in VENDOR_FILES.values()}))
    )
