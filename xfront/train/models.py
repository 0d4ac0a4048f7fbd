"""``xfront.train.models``: the training job's networks, as plain functions of parameter pytrees.

- :class:`MLP`: dense ReLU layers on flattened 8x8 digits.
- :class:`CNN`: 3x3 convolutions (``lax.conv_general_dilated``, NHWC/HWIO) with ReLU and 2x2 max
  pooling (``lax.reduce_window``), then a dense layer.
- :class:`TransformerLM`: a decoder-only, pre-LayerNorm transformer on characters: token and
  learned position embeddings, causal multi-head self-attention
  (``xf.nn.dot_product_attention``), GELU MLP, final LayerNorm, untied output projection.

Each model has ``init(key) -> params``, ``apply(params, inputs) -> logits`` and
``param_specs(params)``: a PartitionSpec per parameter for the mesh axes ``("data", "model")``.
MLP and CNN parameters are replicated; the transformer splits its attention heads and its MLP's
hidden units over ``"model"`` (Megatron-style: column-split in, row-split out), so XLA inserts one
all-reduce per attention block and per MLP. Parameters are float32; ``dtype = "bfloat16"``
computes activations and matmuls in bfloat16 and the loss in float32.
"""

from __future__ import annotations

import math

import numpy as np

import xfront.numpy as xnp
from xfront import lax, nn, random
from xfront.nn import initializers
from xfront.sharding import PartitionSpec as P
from xfront.tree_util import tree_map

__all__ = ["MLP", "CNN", "TransformerLM", "build_model", "cross_entropy", "layer_norm"]

_CONV_DIMS = ("NHWC", "HWIO", "NHWC")


def _dtype(name: str):
    return {"float32": xnp.float32, "bfloat16": xnp.bfloat16}[name]


def _cast(params, dtype):
    return tree_map(lambda p: p.astype(dtype), params)


def cross_entropy(logits, targets):
    """Per-example softmax cross-entropy (float32) of ``logits [..., C]`` against int
    ``targets [...]``."""
    logits = logits.astype(xnp.float32)
    log_probs = nn.log_softmax(logits, axis=-1)
    picked = xnp.take_along_axis(log_probs, targets[..., None].astype(xnp.int32), axis=-1)
    return -picked[..., 0]


def layer_norm(x, scale, bias, eps: float = 1e-5):
    """LayerNorm over the last axis (statistics in float32)."""
    x32 = x.astype(xnp.float32)
    mean = xnp.mean(x32, axis=-1, keepdims=True)
    var = xnp.mean(xnp.square(x32 - mean), axis=-1, keepdims=True)
    y = (x32 - mean) * lax.rsqrt(var + eps)
    return (y * scale + bias).astype(x.dtype)


class MLP:
    """Dense ReLU layers: ``inputs [B, ...] -> logits [B, classes]``."""

    def __init__(self, in_features: int, hidden: list[int], num_classes: int,
                 dtype: str = "float32"):
        self.sizes = [in_features, *hidden, num_classes]
        self.dtype = _dtype(dtype)

    def init(self, key):
        params = []
        keys = random.split(key, len(self.sizes) - 1)
        for k, fan_in, fan_out in zip(keys, self.sizes[:-1], self.sizes[1:]):
            params.append({"w": initializers.he_normal()(k, (fan_in, fan_out), xnp.float32),
                           "b": xnp.zeros(fan_out, xnp.float32)})
        return params

    def apply(self, params, inputs):
        params = _cast(params, self.dtype)
        h = inputs.reshape(inputs.shape[0], -1).astype(self.dtype)
        for layer in params[:-1]:
            h = nn.relu(h @ layer["w"] + layer["b"])
        return h @ params[-1]["w"] + params[-1]["b"]

    def param_specs(self, params):
        return tree_map(lambda _: P(), params)

    def describe(self) -> str:
        return "MLP " + "-".join(map(str, self.sizes))


class CNN:
    """3x3 conv + ReLU (+ 2x2 max pool while the image is larger than 2x2), then dense:
    ``images [B, H, W] -> logits [B, classes]``."""

    def __init__(self, image_shape, channels: list[int], num_classes: int,
                 dtype: str = "float32"):
        self.channels = list(channels)
        self.num_classes = num_classes
        self.dtype = _dtype(dtype)
        h, w = image_shape
        self.pool = []
        for _ in self.channels:
            pool = h > 2 and w > 2
            self.pool.append(pool)
            if pool:
                h, w = h // 2, w // 2
        self.flat = h * w * self.channels[-1]

    def init(self, key):
        keys = random.split(key, len(self.channels) + 1)
        params = {"conv": [], "dense": {}}
        c_in = 1
        for k, c_out in zip(keys[:-1], self.channels):
            params["conv"].append({
                "w": initializers.he_normal()(k, (3, 3, c_in, c_out), xnp.float32),
                "b": xnp.zeros(c_out, xnp.float32)})
            c_in = c_out
        params["dense"] = {
            "w": initializers.lecun_normal()(keys[-1], (self.flat, self.num_classes),
                                              xnp.float32),
            "b": xnp.zeros(self.num_classes, xnp.float32)}
        return params

    def apply(self, params, inputs):
        params = _cast(params, self.dtype)
        h = inputs.astype(self.dtype)[..., None]  # NHWC with one channel
        for layer, pool in zip(params["conv"], self.pool):
            h = lax.conv_general_dilated(h, layer["w"], (1, 1), "SAME",
                                         dimension_numbers=_CONV_DIMS)
            h = nn.relu(h + layer["b"])
            if pool:
                h = lax.reduce_window(h, -xnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1),
                                      "VALID")
        h = h.reshape(h.shape[0], -1)
        return h @ params["dense"]["w"] + params["dense"]["b"]

    def param_specs(self, params):
        return tree_map(lambda _: P(), params)

    def describe(self) -> str:
        return f"CNN conv{self.channels} -> dense {self.flat}-{self.num_classes}"


class TransformerLM:
    """Decoder-only transformer: ``tokens [B, T] -> logits [B, T, vocab]``."""

    def __init__(self, vocab_size: int, d_model: int, num_layers: int, num_heads: int,
                 d_ff: int, seq_len: int, dtype: str = "float32"):
        self.vocab_size, self.d_model, self.num_layers = vocab_size, d_model, num_layers
        self.num_heads, self.head_dim = num_heads, d_model // num_heads
        self.d_ff, self.seq_len = d_ff, seq_len
        self.dtype = _dtype(dtype)

    def init(self, key):
        d, h, k, f, v = self.d_model, self.num_heads, self.head_dim, self.d_ff, self.vocab_size
        embed = initializers.normal(0.02)
        proj = initializers.variance_scaling(1.0, "fan_in", "truncated_normal", in_axis=0,
                                             out_axis=(1, 2))
        out_proj = initializers.variance_scaling(1.0 / self.num_layers, "fan_in",
                                                 "truncated_normal", in_axis=(0, 1), out_axis=2)
        keys = iter(random.split(key, 3 + 6 * self.num_layers))

        def norm():
            return {"scale": xnp.ones(d, xnp.float32), "bias": xnp.zeros(d, xnp.float32)}

        blocks = []
        for _ in range(self.num_layers):
            blocks.append({
                "ln1": norm(),
                "attn": {"wq": proj(next(keys), (d, h, k), xnp.float32),
                         "wk": proj(next(keys), (d, h, k), xnp.float32),
                         "wv": proj(next(keys), (d, h, k), xnp.float32),
                         "wo": out_proj(next(keys), (h, k, d), xnp.float32)},
                "ln2": norm(),
                "mlp": {"w1": initializers.he_normal()(next(keys), (d, f), xnp.float32),
                        "b1": xnp.zeros(f, xnp.float32),
                        "w2": initializers.normal(0.02 / math.sqrt(self.num_layers))(
                            next(keys), (f, d), xnp.float32),
                        "b2": xnp.zeros(d, xnp.float32)},
            })
        return {"embed": embed(next(keys), (v, d), xnp.float32),
                "pos": embed(next(keys), (self.seq_len, d), xnp.float32),
                "blocks": blocks,
                "ln_f": norm(),
                "unembed": initializers.lecun_normal()(next(keys), (d, v), xnp.float32)}

    def apply(self, params, tokens):
        params = _cast(params, self.dtype)
        t = tokens.shape[1]
        x = xnp.take(params["embed"], tokens, axis=0) + params["pos"][:t]
        for blk in params["blocks"]:
            h = layer_norm(x, blk["ln1"]["scale"], blk["ln1"]["bias"])
            a = blk["attn"]
            q = xnp.einsum("btd,dhk->bthk", h, a["wq"])
            k = xnp.einsum("btd,dhk->bthk", h, a["wk"])
            v = xnp.einsum("btd,dhk->bthk", h, a["wv"])
            o = nn.dot_product_attention(q, k, v, is_causal=True)
            x = x + xnp.einsum("bthk,hkd->btd", o, a["wo"])
            h = layer_norm(x, blk["ln2"]["scale"], blk["ln2"]["bias"])
            m = blk["mlp"]
            x = x + nn.gelu(h @ m["w1"] + m["b1"]) @ m["w2"] + m["b2"]
        x = layer_norm(x, params["ln_f"]["scale"], params["ln_f"]["bias"])
        return x @ params["unembed"]

    def param_specs(self, params):
        specs = tree_map(lambda _: P(), params)
        for blk in specs["blocks"]:
            for name in ("wq", "wk", "wv"):
                blk["attn"][name] = P(None, "model", None)  # heads split
            blk["attn"]["wo"] = P("model", None, None)
            blk["mlp"]["w1"] = P(None, "model")  # hidden units split
            blk["mlp"]["b1"] = P("model")
            blk["mlp"]["w2"] = P("model", None)
        return specs

    def describe(self) -> str:
        return (f"transformer LM: {self.num_layers} layers, d_model {self.d_model}, "
                f"{self.num_heads} heads, d_ff {self.d_ff}, context {self.seq_len}, "
                f"vocabulary {self.vocab_size}")


def build_model(cfg, dataset):
    """The model that ``cfg`` (a Config) names, sized for ``dataset``."""
    m = cfg.model
    if m.kind == "mlp":
        return MLP(int(np.prod(dataset.input_shape)), m.hidden, dataset.num_classes, m.dtype)
    if m.kind == "cnn":
        return CNN(dataset.input_shape, m.channels, dataset.num_classes, m.dtype)
    return TransformerLM(dataset.num_classes, m.d_model, m.num_layers, m.num_heads, m.d_ff,
                         m.seq_len, m.dtype)


def count_params(params) -> int:
    from xfront.tree_util import tree_leaves

    return int(sum(np.prod(p.shape) for p in tree_leaves(params)))
