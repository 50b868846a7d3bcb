#!/usr/bin/env python3
"""Writes the trainer's ImageNet initialisation as torchvision state-dict tensors (.npz), for recipe_sweep.py.

Reads the same ONNX file as ImageNetInitializer.cs (Microsoft.ML.DnnImageFeaturizer.ResNet18, a CNTK export with
stages [2,2,2,3]) and maps it the same way: Conv/BatchNorm pairs in node order onto conv1, layer1-3 and the first two
blocks of layer4 (each stage's downsample precedes its first block), conv1 = the sum of the RGB filters, BatchNorm
scale and shift taken, running statistics not. numpy only: the ONNX protobuf is read by the small decoder below, so
no onnx package is needed (Debian's python3-numpy is enough).

    python3 scripts/parity/imagenet_to_npz.py src/AudioClassifier.Trainer/bin/Release/net10.0/linux-x64/pretrained/resnet18-imagenet.onnx /tmp/imagenet.npz
"""
import sys

import numpy as np


def varint(buf, i):
    value = shift = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def fields(buf):
    """Yields (field number, wire type, value) of one protobuf message; length-delimited values as memoryviews."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def tensor(buf):
    dims, name, raw, floats, dtype = [], "", None, [], 1
    for number, wire, value in fields(buf):
        if number == 2:
            dtype = value
        if number == 1:
            if wire == 2:  # packed
                j = 0
                while j < len(value):
                    d, j = varint(value, j)
                    dims.append(d)
            else:
                dims.append(value)
        elif number == 8:
            name = bytes(value).decode()
        elif number == 9:
            raw = bytes(value)
        elif number == 4:
            floats.append(np.frombuffer(bytes(value), dtype="<f4"))
    if dtype != 1:  # TensorProto.FLOAT; the file's weights are all float32
        return name, None
    data = np.frombuffer(raw, dtype="<f4") if raw is not None else np.concatenate(floats)
    return name, data.reshape(dims).astype(np.float32)


def node(buf):
    inputs, outputs, op = [], [], ""
    for number, _, value in fields(buf):
        if number == 1:
            inputs.append(bytes(value).decode())
        elif number == 2:
            outputs.append(bytes(value).decode())
        elif number == 4:
            op = bytes(value).decode()
    return op, inputs, outputs


def order():
    names = ["conv1"]
    for layer in range(1, 5):
        if layer > 1:
            names.append(f"layer{layer}.0.downsample.0")
        for block in range(2):
            names += [f"layer{layer}.{block}.conv1", f"layer{layer}.{block}.conv2"]
    return names


def batch_norm_for(conv):
    if conv == "conv1":
        return "bn1"
    if conv.endswith("downsample.0"):
        return conv[:-1] + "1"
    return conv[:-5] + "bn" + conv[-1]


def main():
    source, target = sys.argv[1], sys.argv[2]
    model = memoryview(open(source, "rb").read())
    graph = next(v for n, _, v in fields(model) if n == 7)
    inits, nodes = {}, []
    for number, _, value in fields(graph):
        if number == 5:
            name, data = tensor(value)
            if data is not None:
                inits[name] = data
        elif number == 1:
            nodes.append(node(value))
    consumers = {inputs[0]: inputs for op, inputs, _ in nodes if op == "BatchNormalization"}
    pairs = [(inputs[1], consumers[outputs[0]]) for op, inputs, outputs in nodes
             if op == "Conv" and outputs[0] in consumers and inputs[1] in inits]
    state = {}
    for conv, (weight, bn) in zip(order(), pairs):
        w = inits[weight]
        state[conv + ".weight"] = w.sum(1, keepdims=True) if conv == "conv1" else w
        state[batch_norm_for(conv) + ".weight"] = inits[bn[1]]
        state[batch_norm_for(conv) + ".bias"] = inits[bn[2]]
    if len(pairs) < len(order()):
        raise SystemExit(f"{source}: {len(pairs)} Conv/BatchNorm pairs, {len(order())} needed")
    np.savez(target, **{k: v.astype(np.float16) for k, v in state.items()})
    print(f"{len(state)} tensors, {sum(v.size for v in state.values())} values -> {target}")


if __name__ == "__main__":
    main()
