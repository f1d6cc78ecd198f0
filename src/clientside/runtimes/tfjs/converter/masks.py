"""Masks: refuse every model where TF.js would mask differently from Keras.

Keras 3 and TF.js 4.22 both carry a mask (padded steps of a sequence) from the layer that
makes it (Embedding(mask_zero=True), Masking) to the layers that use it, but not along the
same paths:
- TF.js's executor gives a layer's call the mask of its FIRST input only, computes an
  output mask only for layers with supportsMasking, and gives the last mask it passed on
  to every later layer whose inputs carry none (so a Conv1D that drops the mask in both
  still leaves it to the LSTM after it, in TF.js only);
- TF.js's Concatenate ANDs its inputs' masks where Keras ORs them;
- TF.js's Add/Multiply/Average/Maximum/Minimum compute their output mask wrongly (an extra
  leading axis, the last input's mask left out);
- layers that Keras lets a mask through but TF.js does not (ELU, LeakyReLU, Rescaling, ...)
  give no output mask (the executor's reuse above may hand it on anyway);
- GlobalAveragePooling1D averages only the unmasked steps in Keras, every step in TF.js;
- an RNN with zero_output_for_mask (Bidirectional sets it with return_sequences=True)
  writes zeros at masked steps in Keras and repeats the last output in TF.js: harmless
  when an RNN with the same mask reads the sequence next, wrong anywhere else.

So the exporter follows the mask through the model twice, as Keras computed it (each
symbolic tensor's `_keras_mask`) and as TF.js will (the tables below, read from
tfjs-layers 4.22's source), and refuses where a layer that uses a mask would see a
different one. Nothing that is merely carried and never used is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .registry import Problem

#: TF.js classes with supportsMasking whose output mask is their (first) input's mask.
TFJS_PASSES = frozenset({"Activation", "Dense", "Dropout", "AlphaDropout", "GaussianDropout",
                         "GaussianNoise", "BatchNormalization", "LayerNormalization", "PReLU",
                         "ReLU", "TimeDistributed"})
RNN_CLASSES = frozenset({"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional"})
#: TF.js classes whose call applies the mask it is given (their first input's).
TFJS_USES_MASK = frozenset({"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "Softmax"})
#: TF.js merge layers whose computeMask differs from Keras's.
TFJS_WRONG_MERGE_MASK = frozenset({"Add", "Multiply", "Average", "Maximum", "Minimum"})
#: Keras layers whose call uses the mask where TF.js's does not, and what Keras does.
KERAS_ONLY_CONSUMERS = {
    "GlobalAveragePooling1D": "Keras averages only the unmasked steps, TF.js every step",
}


@dataclass(frozen=True)
class TFJSMask:
    """What TF.js will hold as the mask of one tensor."""

    present: bool
    note: str  # where it comes from, or where it was lost
    trusted: bool = True


NONE = TFJSMask(False, "")


def _tfjs_output_mask(class_name: str, config: dict, inputs: list[TFJSMask], layer_name: str) -> TFJSMask:
    first = inputs[0] if inputs else NONE
    if class_name == "Embedding":
        return TFJSMask(True, f"{layer_name} (mask_zero)") if config.get("maskZero") or config.get("mask_zero") \
            else NONE
    if class_name == "Masking":
        return TFJSMask(True, f"{layer_name} (Masking)")
    if class_name in TFJS_PASSES:
        return first
    if class_name in RNN_CLASSES:
        layer_config = config.get("layer", {}).get("config", config) if class_name == "Bidirectional" else config
        sequences = layer_config.get("return_sequences") or layer_config.get("returnSequences")
        return first if sequences else NONE
    if any(m.present for m in inputs):
        if class_name == "Concatenate":
            # Keras ORs the inputs' masks (an unmasked input counts as all ones), TF.js ANDs
            # them: the same only when every input carries one and the same mask.
            notes = {m.note for m in inputs}
            same = all(m.present and m.trusted for m in inputs) and len(notes) == 1
            return TFJSMask(True, inputs[0].note if same else f"{layer_name} (Concatenate)", same)
        if class_name in TFJS_WRONG_MERGE_MASK:
            return TFJSMask(True, f"{layer_name} ({class_name})", trusted=False)
        return TFJSMask(False, f"lost at {layer_name} (TF.js's {class_name} passes no mask)")
    return NONE


def _has_keras_mask(tensor: Any) -> bool:
    return getattr(tensor, "_keras_mask", None) is not None


def _functional(model: Any) -> Any:
    return getattr(model, "_functional", None) or model


def check_masks(model: Any, tfjs_classes: dict[str, tuple[str, dict]]) -> list[Problem]:
    """Problems where a mask-using layer would see another mask in TF.js than in Keras.

    tfjs_classes: Keras layer name -> (TF.js class name, TF.js config) as exported."""
    graph = _functional(model)
    by_depth = getattr(graph, "_nodes_by_depth", None)
    if not by_depth:
        return []
    nodes = [node for depth in sorted(by_depth, reverse=True) for node in by_depth[depth]]
    # TF.js's executor keeps the last mask it gave a layer and gives it again to every later
    # layer whose own inputs carry none. In a Sequential model the order is the layers'; in
    # a graph it is TF.js's own topological sort, so any earlier masked call may be the one.
    linear = type(model).__name__ == "Sequential"
    problems: list[Problem] = []
    tfjs: dict[int, TFJSMask] = {}
    zeroed: dict[int, tuple[str, str]] = {}  # sequences whose masked steps Keras zeroes, TF.js not: layer, class
    calls: list[tuple[str, TFJSMask]] = []  # (layer, the mask its call received), in order
    for node in nodes:
        layer = node.operation
        name = getattr(layer, "name", "?")
        if name not in tfjs_classes:  # an op Keras added for the mask itself, or an input
            for t in node.output_tensors:
                tfjs[id(t)] = NONE
            continue
        class_name, config = tfjs_classes[name]
        keras_class = type(layer).__name__
        if class_name in ("Model", "Sequential"):  # a nested model: checked on its own
            problems += check_masks(layer, tfjs_layer_classes({"config": config}))
        inputs = [t for t in node.input_tensors if getattr(t, "_keras_history", None) is not None]
        masks = [tfjs.get(id(t), NONE) for t in inputs]
        arguments = getattr(node, "arguments", None)
        keras_masked = (bool(inputs) and _has_keras_mask(inputs[0])) or (
            arguments is not None and arguments.kwargs.get("mask") is not None)
        if any(m.present for m in masks):
            call_mask = masks[0]
            calls.append((name, call_mask))
        else:
            earlier = [m for _, m in calls if m.present]
            call_mask = (calls[-1][1] if calls else NONE) if linear else (
                TFJSMask(True, f"an earlier layer ({earlier[-1].note})", trusted=False) if earlier else NONE)
        for t in inputs:  # a sequence whose masked steps differ may only go to an RNN that skips them
            if id(t) in zeroed and not (class_name in RNN_CLASSES and keras_masked and call_mask.present
                                        and call_mask.trusted):
                problems.append(Problem(*zeroed.pop(id(t)), "zero_output_for_mask=True",
                                        f"{ZEROED_REASON}, and {name} ({keras_class}) reads those steps"))
        why = ""
        if class_name in ("Model", "Sequential") and keras_masked:
            problems.append(Problem(name, keras_class, "a masked input",
                                    "a mask entering a nested model is not followed by the exporter; "
                                    "build the model flat (without the nested model) to export it"))
        elif keras_class in KERAS_ONLY_CONSUMERS and keras_masked:
            problems.append(Problem(name, keras_class, "a masked input",
                                    f"{KERAS_ONLY_CONSUMERS[keras_class]}, so predictions on padded "
                                    "sequences would differ; drop mask_zero=True from the embedding (padding "
                                    "then counts in both) or summarise the sequence with an RNN"))
        elif class_name in TFJS_USES_MASK and (keras_masked or call_mask.present):
            if keras_masked and not call_mask.present:
                lost = call_mask.note or (masks[0].note if masks else "") or "not carried"
                why = f"Keras applies a mask here, TF.js none ({lost})"
            elif call_mask.present and not keras_masked:
                why = (f"TF.js would apply the mask of {call_mask.note} here, which Keras does not "
                       "(TF.js 4.22 reuses the last mask it passed to any layer)")
            elif not call_mask.trusted:
                why = f"TF.js computes the mask from {call_mask.note} differently from Keras"
            if why:
                problems.append(Problem(name, keras_class, "a masked input",
                                        f"{why}: predictions on padded sequences would differ"))
        out = _tfjs_output_mask(class_name, config, masks, name)
        for t in node.output_tensors:
            tfjs[id(t)] = out
            if keras_masked and _zeroes_masked_steps(layer):
                zeroed[id(t)] = (name, keras_class)
    for t in getattr(graph, "outputs", []) or []:
        if id(t) in zeroed:
            problems.append(Problem(*zeroed[id(t)], "zero_output_for_mask=True",
                                    f"{ZEROED_REASON}, and this sequence is an output of the model"))
    return problems


ZEROED_REASON = ("Keras writes zeros at the masked steps of this sequence (zero_output_for_mask, which "
                 "Bidirectional sets with return_sequences=True) where TF.js repeats the last output "
                 "(measured up to 0.65 apart); an RNN reading it with the same mask ignores those steps")


def _zeroes_masked_steps(layer: Any) -> bool:
    """An RNN (or a Bidirectional one) returning sequences with zero_output_for_mask."""
    for rnn in (layer, getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)):
        if rnn is not None and getattr(rnn, "return_sequences", False) and getattr(rnn, "zero_output_for_mask", False):
            return True
    return False


def tfjs_layer_classes(topology: dict | None) -> dict[str, tuple[str, dict]]:
    """Layer name -> (TF.js class, config) of the top-level layers of an exported topology."""
    layers = ((topology or {}).get("config") or {}).get("layers", [])
    return {entry["config"].get("name") or entry.get("name"): (entry["class_name"], entry["config"])
            for entry in layers}
