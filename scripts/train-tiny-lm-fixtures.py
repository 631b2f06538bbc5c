#!/usr/bin/python3
"""Writes the engine's small test models into packages/engine/test/fixtures:

- no-past.onnx: a decoder-shaped ONNX model (input_ids, attention_mask -> logits)
  without past key/value inputs or present outputs, for the load-error test;
- tiny-fp32/: an untrained 2-layer decoder from train-tiny-lm.py with a float32
  KV cache and a GPT-2-style config.json (n_layer, n_head, n_embd), so the
  float32 cache path runs against a real session (the built-in model uses float16).

    /usr/bin/python3 scripts/train-tiny-lm-fixtures.py packages/engine/test/fixtures
"""
import os
import sys

import importlib.util
import json

import numpy as np
import torch
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
vocab, hidden = 16, 4
rng = np.random.default_rng(0)
emb = numpy_helper.from_array(rng.standard_normal((vocab, hidden)).astype(np.float32), "embed")
head = numpy_helper.from_array(rng.standard_normal((hidden, vocab)).astype(np.float32), "head")
graph = helper.make_graph(
    [helper.make_node("Gather", ["embed", "input_ids"], ["h"]), helper.make_node("MatMul", ["h", "head"], ["logits"])],
    "no_past",
    [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
     helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", vocab])],
    [emb, head],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="tscog-fixture")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "no-past.onnx"))

spec = importlib.util.spec_from_file_location("train", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-tiny-lm.py"))
train = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train)
torch.manual_seed(0)
cfg = {"vocab_size": 512, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
       "num_key_value_heads": 2, "head_dim": 8, "rms_norm_eps": 1e-5, "rope_theta": 10000.0}
tiny = os.path.join(out, "tiny-fp32")
os.makedirs(tiny, exist_ok=True)
train.export(train.TinyLlama(cfg), cfg, tiny, torch.float32)
with open(os.path.join(tiny, "config.json"), "w") as fh:
    json.dump({"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 16, "vocab_size": 512, "eos_token_id": 0}, fh, indent=2)
