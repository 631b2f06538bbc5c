#!/usr/bin/python3
"""Writes a random-weight decoder with the shapes of SmolLM2-135M (30 layers, hidden 576,
intermediate 1536, 9 heads / 3 key-value heads of 64, vocabulary 49,152, tied embeddings,
134.5 M parameters) exported the way @tscog/engine loads models, for benchmarks: its text is
noise, but its cost per token is the real model's.

    apt-get install -y python3-torch python3-onnx      # Debian's, offline
    /usr/bin/python3 scripts/make-smollm-shaped-model.py [--out ~/.cache/tscog-bench/smollm2-135m-shaped]
        [--cache-dtype float32|float16] [--layers 30]

Writes model.onnx (about 540 MB: keep it out of the repository), config.json,
generation_config.json, tokenizer.json (byte-level BPE: 256 byte tokens and 48,895 two-byte
merges, so every id decodes) and tokenizer_config.json. The graph is train-tiny-lm.py's Llama
(RMSNorm, rotary positions from position_ids, grouped-query attention, SwiGLU) with its
export: input_ids, attention_mask, position_ids, past_key_values.{i}.key|value -> logits,
present.{i}.key|value; the attention mask hides padding, so padded batches are exact.
"""
import argparse
import importlib.util
import json
import os
import time

import torch

SMOLLM2_135M = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 49152, "hidden_size": 576,
    "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
    "head_dim": 64, "hidden_act": "silu", "max_position_embeddings": 8192, "rms_norm_eps": 1e-5,
    "rope_theta": 100000.0, "tie_word_embeddings": True, "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "float32",
}


def load_train_module():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("train", os.path.join(here, "train-tiny-lm.py"))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    return train


def tokenizer_files(train, vocab_size):
    """Byte-level BPE with `vocab_size` ids: <|endoftext|>, the 256 bytes, then two-byte merges."""
    table = train.bytes_to_unicode()
    chars = [table[b] for b in range(256)]
    vocab = {"<|endoftext|>": 0}
    for c in chars:
        vocab[c] = len(vocab)
    merges = []
    for a in chars:
        for b in chars:
            if len(vocab) >= vocab_size:
                break
            if a + b in vocab:
                continue
            vocab[a + b] = len(vocab)
            merges.append((a, b))
    return train.tokenizer_json(vocab, merges)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.expanduser("~/.cache/tscog-bench/smollm2-135m-shaped"))
    ap.add_argument("--cache-dtype", choices=["float32", "float16"], default="float32")
    ap.add_argument("--layers", type=int, default=SMOLLM2_135M["num_hidden_layers"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.time()
    train = load_train_module()
    cfg = dict(SMOLLM2_135M, num_hidden_layers=args.layers)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = train.TinyLlama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{n_params / 1e6:.1f} M parameters; exporting to {args.out}", flush=True)
    train.export(model, cfg, args.out, torch.float16 if args.cache_dtype == "float16" else torch.float32)
    with open(os.path.join(args.out, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as fh:
        json.dump({"bos_token_id": 0, "eos_token_id": 0, "max_new_tokens": 128}, fh, indent=2)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as fh:
        json.dump(tokenizer_files(train, cfg["vocab_size"]), fh, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as fh:
        json.dump({"tokenizer_class": "GPT2Tokenizer", "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                   "unk_token": "<|endoftext|>", "add_bos_token": False, "model_max_length": 8192,
                   "clean_up_tokenization_spaces": False}, fh, indent=2)
    with open(os.path.join(args.out, "README.md"), "w") as fh:
        fh.write(f"Random weights (seed {args.seed}) in the shapes of SmolLM2-135M ({n_params} parameters), "
                 f"{args.cache_dtype} KV cache; made by scripts/make-smollm-shaped-model.py for benchmarks. "
                 "Its text is noise.\n")
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
