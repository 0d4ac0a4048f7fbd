"""``xfront.train.data``: the training job's datasets, bundled with xfront (no download).

- ``digits``: the 1,797 8x8 handwritten digits (pixels 0..16) of scikit-learn's
  ``load_digits``, stored as uint8 in ``data/digits.npz`` (provenance and license:
  ``data/NOTICE.md``). Split into train and test sets, stratified by class and seeded.
- ``text``: a character-level corpus, by default Shakespeare's *A Midsummer Night's Dream*
  (public domain; ``data/midsummer.txt``, see ``data/NOTICE.md``), or any UTF-8 text file. The
  last ``test_fraction`` of the characters is held out.

Batches are a pure function of ``(seed, step)``, so a run resumed from a checkpoint at step
``k`` sees exactly the batches an uninterrupted run sees from step ``k`` on. Each process
computes the same global batch and feeds only its own rows (see ``local_rows``).
"""

from __future__ import annotations

import dataclasses
import importlib.resources

import numpy as np

__all__ = ["DigitsData", "TextData", "load_digits", "load_text", "local_rows", "build_dataset"]


def _data_file(name: str):
    return importlib.resources.files("xfront.train").joinpath("data", name)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits: uint8 images ``(1797, 8, 8)`` with pixels in 0..16, uint8 labels."""
    with _data_file("digits.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
        return z["images"], z["labels"]


def load_text(path: str = "") -> str:
    """The bundled play, or the UTF-8 text file at ``path``."""
    if path:
        with open(path, encoding="utf-8") as f:
            return f.read()
    return _data_file("midsummer.txt").read_text(encoding="utf-8")


def _stratified_split(labels: np.ndarray, test_fraction: float, seed: int):
    """Index arrays ``(train, test)``: each class contributes ``test_fraction`` of its samples
    (rounded) to the test set; both are sorted."""
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = int(round(len(members) * test_fraction))
        test.append(rng.permutation(members)[:k])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


@dataclasses.dataclass
class Batch:
    """Host arrays of one global batch; ``mask`` (float32, per row) marks real rows in padded
    evaluation batches."""

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray


def _pad_rows(a: np.ndarray, n: int) -> np.ndarray:
    if len(a) == n:
        return a
    pad = np.zeros((n - len(a),) + a.shape[1:], a.dtype)
    return np.concatenate([a, pad])


def _eval_batches(inputs, targets, batch_size: int) -> list[Batch]:
    out = []
    for i in range(0, len(inputs), batch_size):
        x, y = inputs[i:i + batch_size], targets[i:i + batch_size]
        mask = _pad_rows(np.ones(len(x), np.float32), batch_size)
        out.append(Batch(_pad_rows(x, batch_size), _pad_rows(y, batch_size), mask))
    return out


class DigitsData:
    """The digits as float32 images ``(n, 8, 8)`` in [0, 1] and int32 labels, split."""

    name = "digits"
    num_classes = 10

    def __init__(self, test_fraction: float = 0.2, seed: int = 0):
        images, labels = load_digits()
        x = images.astype(np.float32) / 16.0
        y = labels.astype(np.int32)
        train, test = _stratified_split(y, test_fraction, seed)
        self.x_train, self.y_train = x[train], y[train]
        self.x_test, self.y_test = x[test], y[test]
        self.input_shape = x.shape[1:]
        self._perm_epoch, self._perm = None, None

    def describe(self) -> str:
        return f"digits: {len(self.x_train)} train / {len(self.x_test)} test images (8x8)"

    def steps_per_epoch(self, batch_size: int) -> int:
        return len(self.x_train) // batch_size

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        """Batch ``step``: epochs are seeded permutations; the remainder of each is dropped."""
        per_epoch = self.steps_per_epoch(batch_size)
        epoch, i = divmod(step, per_epoch)
        if self._perm_epoch != (seed, epoch):
            rng = np.random.default_rng([seed, epoch])
            self._perm, self._perm_epoch = rng.permutation(len(self.x_train)), (seed, epoch)
        idx = self._perm[i * batch_size:(i + 1) * batch_size]
        return Batch(self.x_train[idx], self.y_train[idx], np.ones(batch_size, np.float32))

    def eval_batches(self, batch_size: int) -> list[Batch]:
        """The test set in padded batches of ``batch_size``."""
        return _eval_batches(self.x_test, self.y_test, batch_size)


class TextData:
    """Characters as int32 token ids; inputs are windows of ``seq_len``, targets the next
    characters."""

    name = "text"

    def __init__(self, seq_len: int, test_fraction: float = 0.1, path: str = ""):
        text = load_text(path)
        self.vocab = "".join(sorted(set(text)))
        self.num_classes = len(self.vocab)
        lookup = {c: i for i, c in enumerate(self.vocab)}
        tokens = np.array([lookup[c] for c in text], np.int32)
        n_test = int(len(tokens) * test_fraction)
        self.train_tokens, self.test_tokens = tokens[:-n_test], tokens[-n_test:]
        self.seq_len = seq_len
        self.input_shape = (seq_len,)
        for what, part in (("training", self.train_tokens), ("held-out", self.test_tokens)):
            if len(part) < seq_len + 2:
                raise ValueError(f"the {what} text ({len(part)} characters) is shorter than "
                                 f"seq_len + 2 = {seq_len + 2}")
        self.source = path or "A Midsummer Night's Dream (bundled)"

    def describe(self) -> str:
        return (f"text: {self.source}, {len(self.train_tokens)} train / "
                f"{len(self.test_tokens)} held-out characters, vocabulary {self.num_classes}")

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.vocab.index(c) for c in text], np.int32)

    def decode(self, tokens) -> str:
        return "".join(self.vocab[int(t)] for t in tokens)

    def train_batch(self, step: int, batch_size: int, seed: int) -> Batch:
        """``batch_size`` windows at random offsets (seeded by ``(seed, step)``)."""
        rng = np.random.default_rng([seed, step])
        starts = rng.integers(0, len(self.train_tokens) - self.seq_len, size=batch_size)
        windows = self.train_tokens[starts[:, None] + np.arange(self.seq_len + 1)]
        return Batch(windows[:, :-1], windows[:, 1:], np.ones(batch_size, np.float32))

    def eval_batches(self, batch_size: int) -> list[Batch]:
        """The held-out text as consecutive non-overlapping windows, in padded batches."""
        n = (len(self.test_tokens) - 1) // self.seq_len
        idx = np.arange(n)[:, None] * self.seq_len + np.arange(self.seq_len + 1)
        windows = self.test_tokens[idx]
        return _eval_batches(windows[:, :-1], windows[:, 1:], batch_size)


def build_dataset(cfg):
    """The dataset that ``cfg`` (a :class:`~xfront.train.config.Config`) names."""
    d = cfg.data
    if d.dataset == "digits":
        return DigitsData(d.test_fraction, d.seed)
    return TextData(cfg.model.seq_len, d.test_fraction, d.text_file)


def local_rows(global_rows: int, process_index: int, process_count: int) -> slice:
    """This process's rows of a global batch (processes own equal consecutive blocks)."""
    per = global_rows // process_count
    return slice(process_index * per, (process_index + 1) * per)
