"""Build hooks: wheels and sdists carry the page's TF.js files, exactly package-lock.json's.

A user who runs `pip install clientside` has no node_modules, so the files the page and
the static build serve (listed in src/clientside/vendor.json) go into the package
as clientside/vendored/. They are copied from node_modules only after checking
them against the lock: for each npm package, `npm pack` fetches its tarball (from npm's
cache when `npm ci` put it there), whose sha512 must be the lock's `integrity`, and each
file in node_modules must be byte-identical to the tarball's. Any mismatch stops the
build. Each file worth compressing gets its brotli and gzip copies beside it (taken from
node_modules when `make install` made them there and they decompress to the file, else made
here: clientside/precompressed.py), listed in the manifest too, so no server built from the
wheel ever sends ONNX Runtime's 14 MB wasm raw. A wheel built from an sdist re-checks the
files against the sdist's manifest.
Editable installs (`pip install -e`, the development set-up) read node_modules directly.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
VENDOR_TABLE = ROOT / "src" / "clientside" / "vendor.json"
PACKAGED = Path("clientside") / "vendored"  # inside the package (see clientside/vendor.py)
MANIFEST = "MANIFEST.json"


def _precompressed():
    """clientside/precompressed.py, loaded by path: the package's dependencies are not
    installed in the build's environment."""
    spec = importlib.util.spec_from_file_location("clientside_precompressed",
                                                  Path(__file__).resolve().parent / "src" / "clientside" /
                                                  "precompressed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class VendorError(SystemExit):
    def __init__(self, message: str):
        super().__init__(f"clientside build: {message}")


def _package(rel: str) -> tuple[str, str]:
    """'@tensorflow/tfjs-core/dist/x.js' -> ('@tensorflow/tfjs-core', 'dist/x.js')."""
    parts = rel.split("/")
    n = 2 if parts[0].startswith("@") else 1
    return "/".join(parts[:n]), "/".join(parts[n:])


def _tarball(name: str, version: str, folder: Path) -> Path:
    try:
        proc = subprocess.run(["npm", "pack", f"{name}@{version}", "--prefer-offline", "--json",
                               "--pack-destination", str(folder)],
                              capture_output=True, text=True, timeout=600, cwd=folder)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VendorError(f"npm is needed to check {name}@{version} against package-lock.json ({exc})") from None
    if proc.returncode != 0:
        raise VendorError(f"`npm pack {name}@{version}` failed: {proc.stderr.strip()[-500:]}")
    return folder / json.loads(proc.stdout)[0]["filename"]


def collect(dest: Path) -> None:
    """Copy the vendored files from node_modules into dest, checked against the lock."""
    files = json.loads(VENDOR_TABLE.read_text())["files"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    packages: dict[str, list[str]] = {}
    for rel in files.values():
        packages.setdefault(_package(rel)[0], []).append(rel)
    manifest = {"packages": {}, "files": {}}
    compressing = _precompressed()
    with tempfile.TemporaryDirectory(prefix="clientside-vendor-") as tmp:
        for name, rels in sorted(packages.items()):
            entry = lock.get(f"node_modules/{name}")
            if not entry or "integrity" not in entry:
                raise VendorError(f"package-lock.json has no locked {name}")
            algorithm, _, expected = entry["integrity"].partition("-")
            tarball = _tarball(name, entry["version"], Path(tmp))
            actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
            if actual != expected:
                raise VendorError(f"{name}@{entry['version']}'s tarball does not match package-lock.json's "
                                  f"integrity ({algorithm}-{actual} != {entry['integrity']})")
            with tarfile.open(tarball) as tar:
                for rel in rels:
                    packed = tar.extractfile(f"package/{_package(rel)[1]}").read()
                    installed = ROOT / "node_modules" / rel
                    if not installed.is_file():
                        raise VendorError(f"node_modules/{rel} is missing: run `npm ci` first")
                    if installed.read_bytes() != packed:
                        raise VendorError(f"node_modules/{rel} differs from {name}@{entry['version']} as "
                                          "package-lock.json locks it: run `npm ci`")
                    target = dest / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(packed)
                    manifest["files"][rel] = hashlib.sha256(packed).hexdigest()
                    if compressing.worth_compressing(target, len(packed)):
                        for encoding, copy in _copies(compressing, installed, target, packed).items():
                            copy_rel = compressing.copy_path(Path(rel), encoding).as_posix()
                            manifest["files"][copy_rel] = hashlib.sha256(copy).hexdigest()
            manifest["packages"][name] = {"version": entry["version"], "integrity": entry["integrity"]}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _copies(compressing, installed: Path, target: Path, body: bytes) -> dict[str, bytes]:
    """target's copies: node_modules' if they are right, else made now."""
    for encoding, copy in compressing.read_beside(installed, body).items():
        compressing.copy_path(target, encoding).write_bytes(copy)
    return compressing.write_beside(target, body)


def copy_checked(source: Path, dest: Path) -> None:
    """From an sdist's vendored folder: every file must match the manifest written with it."""
    manifest = json.loads((source / MANIFEST).read_text())
    for rel, digest in manifest["files"].items():
        data = (source / rel).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise VendorError(f"{source / rel} does not match {MANIFEST}")
    if source.resolve() != dest.resolve():
        shutil.copytree(source, dest, dirs_exist_ok=True)


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # development: the app finds node_modules
        target = Path(self.build_lib) / PACKAGED
        from_sdist = ROOT / "src" / PACKAGED / MANIFEST
        if from_sdist.exists():
            copy_checked(from_sdist.parent, target)
        else:
            collect(target)


class Sdist(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        folder = Path(base_dir) / "src" / PACKAGED
        if (ROOT / "src" / PACKAGED / MANIFEST).exists():
            copy_checked(ROOT / "src" / PACKAGED, folder)
        else:
            collect(folder)


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import collect()
    setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
