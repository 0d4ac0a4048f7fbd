"""``xfront.train.config``: the training job's TOML configuration, as typed dataclasses.

    cfg = load_config("tpu_configs/cpu-digits.toml", ["optimizer.learning_rate=0.01"])
    cfg.optimizer.learning_rate   # 0.01

A config file has the sections ``[model]``, ``[data]``, ``[optimizer]``, ``[train]``, ``[mesh]``,
``[checkpoint]`` and ``[distributed]`` (each optional; every key has a default, see the
dataclasses below). An unknown section or key, a value of the wrong type, or a value out of range
is a :class:`ConfigError` that names the file, the section and the key::

    ConfigError: tpu_configs/x.toml: [optimizer] learning_rate must be a float, got str 'abc'

Overrides (``--set section.key=value`` on the command line) are parsed as TOML values (``0.01``,
``true``, ``[256, 128]``, ``"text"``); a value that is not valid TOML is taken as a bare string,
so ``--set model.kind=cnn`` works. They go through the same checks as the file. Ints are accepted
where a float is expected (``learning_rate = 1``); nothing else is converted.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field

__all__ = ["ConfigError", "Config", "ModelConfig", "DataConfig", "OptimizerConfig",
           "TrainConfig", "MeshConfig", "CheckpointConfig", "DistributedConfig", "load_config",
           "parse_config", "apply_overrides", "config_to_dict"]


class ConfigError(ValueError):
    """A configuration file or override is invalid; the message names the file and the key."""


def _choices(*values: str) -> dict:
    return {"choices": values}


def _at_least(n) -> dict:
    return {"min": n}


@dataclass
class ModelConfig:
    """``[model]``: which network, and its size."""

    #: ``mlp`` or ``cnn`` (digits classifiers), ``transformer`` (character-level LM on text).
    kind: str = field(default="mlp", metadata=_choices("mlp", "cnn", "transformer"))
    #: MLP: hidden layer widths.
    hidden: list[int] = field(default_factory=lambda: [128], metadata=_at_least(1))
    #: CNN: output channels of the 3x3 convolutions (each followed by 2x2 max pooling
    #: while the image is larger than 2x2).
    channels: list[int] = field(default_factory=lambda: [16, 32], metadata=_at_least(1))
    #: Transformer: width, layers, attention heads, MLP width and context length.
    d_model: int = field(default=128, metadata=_at_least(1))
    num_layers: int = field(default=2, metadata=_at_least(1))
    num_heads: int = field(default=4, metadata=_at_least(1))
    d_ff: int = field(default=512, metadata=_at_least(1))
    seq_len: int = field(default=64, metadata=_at_least(2))
    #: Compute dtype of activations and matmuls (parameters and the loss stay float32).
    dtype: str = field(default="float32", metadata=_choices("float32", "bfloat16"))


@dataclass
class DataConfig:
    """``[data]``: the dataset (bundled with xfront: no download)."""

    #: ``digits`` (1,797 8x8 images, for mlp/cnn) or ``text`` (characters, for transformer).
    dataset: str = field(default="digits", metadata=_choices("digits", "text"))
    #: ``text`` only: a UTF-8 text file to train on instead of the bundled play ("" = bundled).
    text_file: str = ""
    #: Held-out fraction: the stratified test split (digits) or the text's tail (text).
    test_fraction: float = field(default=0.2, metadata={"min": 0.01, "max": 0.9})
    #: Seeds the digits split (the text split is not random).
    seed: int = 0


@dataclass
class OptimizerConfig:
    """``[optimizer]``: ``xfront.optim`` optimizer, schedule and clipping."""

    name: str = field(default="adam", metadata=_choices("adam", "adamw", "sgd"))
    learning_rate: float = field(default=1e-3, metadata={"min_exclusive": 0.0})
    #: ``constant``, ``cosine`` (decay to 0 over train.steps) or ``warmup_cosine``.
    schedule: str = field(default="constant",
                          metadata=_choices("constant", "cosine", "warmup_cosine"))
    warmup_steps: int = field(default=0, metadata=_at_least(0))
    b1: float = field(default=0.9, metadata={"min": 0.0, "max": 1.0})
    b2: float = field(default=0.999, metadata={"min": 0.0, "max": 1.0})
    eps: float = field(default=1e-8, metadata={"min_exclusive": 0.0})
    #: ``adamw`` only.
    weight_decay: float = field(default=0.0, metadata=_at_least(0.0))
    #: ``sgd`` only; 0 means plain SGD.
    momentum: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    #: Clip gradients to this global norm; 0 means no clipping.
    grad_clip: float = field(default=0.0, metadata=_at_least(0.0))


@dataclass
class TrainConfig:
    """``[train]``: the loop."""

    steps: int = field(default=500, metadata=_at_least(1))
    #: The global batch (split over the mesh's data axis, and over processes).
    batch_size: int = field(default=64, metadata=_at_least(1))
    #: Seeds the initialization and the batches.
    seed: int = 0
    #: Write a metrics record (mean training loss and accuracy) every this many steps.
    log_every: int = field(default=50, metadata=_at_least(1))
    #: Evaluate on the held-out set every this many steps (0: only at the end).
    eval_every: int = field(default=0, metadata=_at_least(0))
    #: Where metrics.jsonl, metrics.png and (by default) checkpoints/ go.
    output_dir: str = "runs/default"


@dataclass
class MeshConfig:
    """``[mesh]``: the device mesh, axes ``("data", "model")``."""

    #: Data-parallel size; -1 means every device not used by ``model``.
    data: int = field(default=-1, metadata=_at_least(-1))
    #: Model-parallel size (the transformer's heads and MLP; replicated for mlp/cnn).
    model: int = field(default=1, metadata=_at_least(1))


@dataclass
class CheckpointConfig:
    """``[checkpoint]``: ``xfront.train.checkpoint`` directory and cadence."""

    #: "" means ``<train.output_dir>/checkpoints``.
    dir: str = ""
    #: Save every this many steps (0: only at the end; a Ctrl-C also saves).
    every: int = field(default=0, metadata=_at_least(0))
    #: How many checkpoints to keep.
    keep: int = field(default=3, metadata=_at_least(1))


@dataclass
class DistributedConfig:
    """``[distributed]``: several processes (hosts), e.g. a multi-host TPU slice."""

    #: Call ``xf.distributed.initialize`` before anything else.
    enabled: bool = False
    #: ``host:port`` of process 0; "" means the XFRONT_COORDINATOR_ADDRESS variable.
    coordinator_address: str = ""
    #: 0 means the XFRONT_NUM_PROCESSES variable.
    num_processes: int = field(default=0, metadata=_at_least(0))
    #: -1 means the XFRONT_PROCESS_ID variable.
    process_id: int = field(default=-1, metadata=_at_least(-1))


_SECTIONS = {"model": ModelConfig, "data": DataConfig, "optimizer": OptimizerConfig,
             "train": TrainConfig, "mesh": MeshConfig, "checkpoint": CheckpointConfig,
             "distributed": DistributedConfig}


@dataclass
class Config:
    """A whole training job's configuration; ``source`` names where it came from."""

    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    mesh: MeshConfig = field(default_factory=MeshConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)
    source: str = "<defaults>"

    @property
    def checkpoint_dir(self) -> str:
        return self.checkpoint.dir or os.path.join(self.train.output_dir, "checkpoints")

    def error(self, message: str) -> ConfigError:
        """A ConfigError about this config (``message`` should name the section and key)."""
        return ConfigError(f"{self.source}: {message}")


# ----------------------------------------------------------------------------------------------
# Type and range checks


def _type_name(typ) -> str:
    if typing.get_origin(typ) is list:
        (item,) = typing.get_args(typ)
        return f"a list of {_type_name(item)[2:]}s"
    return {int: "an int", float: "a float", bool: "a bool (true or false)",
            str: "a string"}[typ]


def _matches(value, typ) -> bool:
    if typing.get_origin(typ) is list:
        (item,) = typing.get_args(typ)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if typ is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, typ)


def _convert(value, typ):
    if typ is float:
        return float(value)
    if typing.get_origin(typ) is list:
        return list(value)
    return value


def _check_range(value, meta: dict, where: str) -> None:
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        raise ConfigError(f"{where} must not be empty")
    for v in items:
        if "choices" in meta and v not in meta["choices"]:
            choices = ", ".join(repr(c) for c in meta["choices"])
            raise ConfigError(f"{where} must be one of {choices}, got {v!r}")
        if "min" in meta and v < meta["min"]:
            raise ConfigError(f"{where} must be at least {meta['min']}, got {v!r}")
        if "max" in meta and v > meta["max"]:
            raise ConfigError(f"{where} must be at most {meta['max']}, got {v!r}")
        if "min_exclusive" in meta and not v > meta["min_exclusive"]:
            raise ConfigError(f"{where} must be greater than {meta['min_exclusive']}, got {v!r}")


def _fields(cls) -> dict:
    hints = typing.get_type_hints(cls)
    return {f.name: (hints[f.name], f.metadata) for f in dataclasses.fields(cls)}


def _set_key(section_obj, section: str, key: str, value, source: str) -> None:
    fields = _fields(type(section_obj))
    if key not in fields:
        raise ConfigError(f"{source}: unknown key [{section}] {key} (known keys of [{section}]: "
                          f"{', '.join(fields)})")
    typ, meta = fields[key]
    where = f"[{section}] {key}"
    if not _matches(value, typ):
        raise ConfigError(f"{source}: {where} must be {_type_name(typ)}, got "
                          f"{type(value).__name__} {value!r}")
    value = _convert(value, typ)
    try:
        _check_range(value, meta, where)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    setattr(section_obj, key, value)


def _section(cfg: Config, section: str, source: str):
    if section not in _SECTIONS:
        raise ConfigError(f"{source}: unknown section [{section}] (known sections: "
                          f"{', '.join(f'[{s}]' for s in _SECTIONS)})")
    return getattr(cfg, section)


def _check_consistency(cfg: Config) -> None:
    """Checks between keys (each key alone has been checked already)."""
    m, d = cfg.model, cfg.data
    if m.kind == "transformer" and d.dataset != "text":
        raise cfg.error(f"[model] kind = 'transformer' needs [data] dataset = 'text', got "
                        f"{d.dataset!r}")
    if m.kind in ("mlp", "cnn") and d.dataset != "digits":
        raise cfg.error(f"[model] kind = {m.kind!r} needs [data] dataset = 'digits', got "
                        f"{d.dataset!r}")
    if d.text_file and d.dataset != "text":
        raise cfg.error("[data] text_file is only used with dataset = 'text'")
    if m.kind == "transformer" and m.d_model % m.num_heads:
        raise cfg.error(f"[model] d_model = {m.d_model} must be a multiple of num_heads = "
                        f"{m.num_heads}")
    if m.kind == "transformer" and cfg.mesh.model > 1:
        for key, n in (("num_heads", m.num_heads), ("d_ff", m.d_ff)):
            if n % cfg.mesh.model:
                raise cfg.error(f"[model] {key} = {n} must be a multiple of [mesh] model = "
                                f"{cfg.mesh.model} (the model axis splits it)")
    o = cfg.optimizer
    if o.schedule == "warmup_cosine" and o.warmup_steps >= cfg.train.steps:
        raise cfg.error(f"[optimizer] warmup_steps = {o.warmup_steps} must be less than [train] "
                        f"steps = {cfg.train.steps}")


# ----------------------------------------------------------------------------------------------
# Public API


def parse_config(data: dict, source: str = "<dict>") -> Config:
    """A :class:`Config` from a parsed TOML document (a dict of section dicts)."""
    cfg = Config(source=source)
    for section, table in data.items():
        obj = _section(cfg, section, source)
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{section}] must be a table (a [{section}] section), "
                              f"got {type(table).__name__} {table!r}")
        for key, value in table.items():
            _set_key(obj, section, key, value, source)
    _check_consistency(cfg)
    return cfg


def _parse_value(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare string: --set model.kind=cnn


def apply_overrides(cfg: Config, overrides: typing.Iterable[str]) -> Config:
    """A copy of ``cfg`` with ``section.key=value`` overrides applied (and checked).

    An override may also be a pair ``(item, source)``: ``source`` names it in errors (the
    command-line flag it came from); a plain string is named ``--set <item>``.
    """
    cfg = _copy(cfg)
    for item in overrides:
        item, source = item if isinstance(item, tuple) else (item, f"--set {item}")
        name, eq, text = item.partition("=")
        section, dot, key = name.strip().partition(".")
        if not eq or not dot or not key:
            raise ConfigError(f"{source}: expected section.key=value, e.g. "
                              "optimizer.learning_rate=0.01")
        obj = _section(cfg, section, source)
        _set_key(obj, section, key.strip(), _parse_value(text.strip()), source)
    try:
        _check_consistency(cfg)
    except ConfigError as e:
        raise ConfigError(f"{e} (after the command-line overrides)") from None
    return cfg


def load_config(path, overrides: typing.Iterable[str] = ()) -> Config:
    """Reads a TOML config file and applies ``overrides`` (``section.key=value`` strings).

    Raises:
      ConfigError: the file is missing or not TOML, or a key is unknown, mistyped or out of
        range (the message names the file, the section and the key).
    """
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except OSError as e:
        raise ConfigError(f"{source}: cannot read it: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: invalid TOML: {e}") from None
    return apply_overrides(parse_config(data, source), overrides)


def config_to_dict(cfg: Config) -> dict:
    """The config as a JSON-compatible dict of sections (without ``source``)."""
    return {name: dataclasses.asdict(getattr(cfg, name)) for name in _SECTIONS}


def _copy(cfg: Config) -> Config:
    sections = {name: type(getattr(cfg, name))(**dataclasses.asdict(getattr(cfg, name)))
                for name in _SECTIONS}
    return Config(**sections, source=cfg.source)

