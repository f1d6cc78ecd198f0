"""What to tell a user whose path clientside cannot take (yet): what it is, what is
accepted, and the next command to run. Read from the path alone (suffix, folder contents,
a file's first bytes), before any framework is imported: a wrong file costs no Keras start-up.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

SERVE_TAKES = ("a bundle folder (from `clientside export`), a TF.js layers or graph model (a folder with "
               "model.json, or a graph model's .json file) or an .onnx file")

#: Suffixes no source reads, and what to do with such a file.
ELSEWHERE = {
    (".pt", ".pth", ".bin", ".safetensors"): (
        "PyTorch weights or a pickled module",
        "build the module in Python, load the weights, and call "
        "`clientside.export(module, 'OUT', example_inputs=[x])`; or save `torch.export.save(torch.export.export("
        "module, (x,)), 'model.pt2')` and run `clientside export model.pt2 OUT`"),
    (".pb", ".tflite"): (
        "a TensorFlow graph (SavedModel or TFLite)",
        "convert it to ONNX (`python -m tf2onnx.convert --saved-model DIR --output model.onnx`) and run "
        "`clientside export model.onnx OUT`"),
    (".json",): (
        "a JSON file",
        "a TF.js layers model.json is served as it is: `clientside serve FOLDER` (the folder holding it)"),
    (".txt", ".cbm"): (
        "not a LightGBM model file (those start with 'tree'), or a CatBoost one, which clientside does not read yet",
        "a LightGBM model: save it with booster.save_model('model.txt'); CatBoost: "
        "model.save_model('model.onnx', format='onnx') and run `clientside export model.onnx OUT`"),
}


def _folder(path: Path) -> str:
    """What a folder looks like, and what to do with it."""
    has = {p.name for p in path.iterdir()} if path.is_dir() else set()
    if "clientside.json" in has:
        return f"{path} is already a bundle: serve it with `clientside serve {path}`."
    if "model.json" in has:
        return f"{path} is a TF.js folder (model.json): serve it as it is with `clientside serve {path}`."
    if "config.json" in has:
        return (f"{path} is a Hugging Face model folder (config.json): export it first with "
                f"`clientside export {path} OUT`, then serve OUT.")
    if "saved_model.pb" in has:
        return (f"{path} is a TensorFlow SavedModel: convert it to ONNX (`python -m tf2onnx.convert --saved-model "
                f"{path} --output model.onnx`) and run `clientside export model.onnx OUT`.")
    models = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".keras", ".h5", ".onnx", ".pt2"))
    if models:
        return f"{path} is a folder; it holds {', '.join(models[:3])}: run `clientside export {path / models[0]} OUT`."
    return f"{path} is a folder, not a model file."


def not_a_model(path: Path, takes: str) -> str:
    """Why `clientside export PATH` cannot take path, and what to run instead. takes: what
    the sources read (from their table)."""
    if not path.exists():
        return (f"{path} does not exist. Expected {takes}.")
    if path.is_dir():
        return f"{_folder(path)} Expected {takes}."
    suffix = path.suffix.lower()
    for suffixes, (what, todo) in ELSEWHERE.items():
        if suffix in suffixes:
            return (f"{path} is {what}, which `clientside export` does not read from a file: {todo}. "
                    f"Expected {takes}.")
    return f"{path}: `clientside export` does not know {suffix or 'files without a suffix'}. Expected {takes}."


def check_model_file(path: Path) -> str | None:
    """Why a file with a model suffix is not what its suffix says (corrupt, truncated, or
    another format), from its first bytes; None if it may be."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror}."
    if not head:
        return f"{path} is empty (0 bytes): save the model again."
    if suffix in (".keras", ".pt2") and not zipfile.is_zipfile(path):
        kind = "Keras 3 file" if suffix == ".keras" else "torch.export archive"
        save = "model.save('model.keras')" if suffix == ".keras" else "torch.export.save(program, 'model.pt2')"
        return (f"{path} is not a {kind}: those are zip archives, and this file is not one (it may be "
                f"truncated, or another format renamed). Save it again with `{save}`.")
    if suffix == ".h5" and head != b"\x89HDF\r\n\x1a\n":
        return (f"{path} is not an HDF5 file (it does not start as one): it may be truncated or another "
                "format renamed. Save the model again with `model.save('model.keras')`.")
    return None


def not_servable(path: Path) -> str:
    """Why `clientside serve PATH` cannot serve path, and what to run instead."""
    if not path.exists():
        return f"{path} does not exist. `clientside serve` takes {SERVE_TAKES}."
    if path.is_dir():
        has = {p.name for p in path.iterdir()}
        models = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".keras", ".h5", ".pt2"))
        if models:
            return (f"{path} holds {', '.join(models[:3])} but no bundle: export it first with "
                    f"`clientside export {path / models[0]} {path.name}-bundle`, then "
                    f"`clientside serve {path.name}-bundle`.")
        if "config.json" in has and "clientside.json" not in has:
            return (f"{path} is a Hugging Face model folder (config.json), not a bundle: export it first with "
                    f"`clientside export {path} {path.name}-bundle`, then `clientside serve {path.name}-bundle`.")
        if not has:
            return (f"{path} is empty: a bundle comes from `clientside export MODEL {path}`. "
                    f"`clientside serve` takes {SERVE_TAKES}.")
        return (f"{path} has no clientside.json or model.json: it is not a bundle. Make one with "
                f"`clientside export MODEL {path}`. `clientside serve` takes {SERVE_TAKES}.")
    if path.suffix.lower() in (".keras", ".h5", ".pt2"):
        return (f"{path} is a model, not a bundle: export it first with `clientside export {path} "
                f"{path.stem}-bundle`, then `clientside serve {path.stem}-bundle`.")
    return f"{path} is a file clientside cannot serve. `clientside serve` takes {SERVE_TAKES}."


def serve_hints(bundles: list) -> list[str]:
    """What a served model lacks that its page would need, and the command that gives it: an
    ONNX file taking token ids (a tokenizer's output) gets number boxes, not a text box."""
    hints = []
    for bundle in bundles:
        tensors = {s["name"] for s in bundle.inputs if s.get("kind") == "tensor"}
        if "input_ids" in tensors:
            path = bundle.root / bundle.files[0].path if bundle.files else bundle.root
            made = [n for n in ("attention_mask", "token_type_ids") if n in tensors]
            hints.append(f"{bundle.name} takes input_ids, token ids from a tokenizer, so its page asks for them as "
                         f"numbers. For a text box, give it its tokenizer: `clientside export {path} OUT "
                         "--tokenizer tokenizer.json` (or the model's folder holding tokenizer.json), then "
                         "`clientside serve OUT`" + (f"; {' and '.join(made)} are then made from the text."
                                                     if made else "."))
    return hints
