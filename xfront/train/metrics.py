"""``xfront.train.metrics``: what the training job reports: JSON lines, a PNG plot, a progress bar.

- ``metrics.jsonl``: one JSON object a line. Training records
  ``{"step": 50, "split": "train", "loss": 0.41, "accuracy": 0.88, "steps_per_sec": 812.5,
  "learning_rate": 0.001, "time": 1.9}`` (means over the steps since the previous record) and
  evaluation records ``{"step": 100, "split": "test", "loss": ..., "accuracy": ...}`` (plus
  ``"perplexity"`` for language models). ``step`` counts completed steps.
- ``metrics.png``: loss and accuracy against the step, train and test. Drawn with matplotlib when
  it is installed, else by a small built-in rasterizer (lines, axes, a 3x5 pixel font; PNG
  written with zlib), so a plain ``pip install xfront`` still gets its plot.
- :class:`ProgressBar`: tqdm when it is installed, else a one-line bar on stderr (``\\r``
  updates on a terminal, a line every 10% otherwise) showing steps/s and the latest loss.
"""

from __future__ import annotations

import collections
import json
import math
import os
import struct
import sys
import time
import zlib

import numpy as np

__all__ = ["MetricsWriter", "read_metrics", "plot_metrics", "write_png", "ProgressBar"]


# ----------------------------------------------------------------------------------------------
# JSON lines


class MetricsWriter:
    """Appends records to a JSON-lines file.

    Args:
      path: the file (its directory is created).
      resume_step: when resuming, records past this step are dropped from an existing file (they
        belong to the interrupted run and will be recomputed); None starts a new file.
      enabled: False makes every method a no-op (processes other than 0).
    """

    def __init__(self, path: str, resume_step: int | None = None, enabled: bool = True):
        self.path = path
        self.enabled = enabled
        if not enabled:
            return
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        kept = []
        if resume_step is not None and os.path.exists(path):
            kept = [r for r in read_metrics(path) if r.get("step", 0) <= resume_step]
        with open(path, "w") as f:
            for r in kept:
                f.write(json.dumps(r) + "\n")

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")


def read_metrics(path: str) -> list[dict]:
    """The records of a JSON-lines metrics file (a torn last line is ignored)."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


# ----------------------------------------------------------------------------------------------
# Plot


def _series(records: list[dict], split: str, key: str):
    pts = [(r["step"], r[key]) for r in records
           if r.get("split") == split and isinstance(r.get(key), int | float)
           and math.isfinite(r[key])]
    return [p[0] for p in pts], [p[1] for p in pts]


def plot_metrics(records: list[dict], path: str, title: str = "", backend: str = "auto") -> str:
    """Draws loss and accuracy (train and test) against the step into the PNG ``path``.

    Args:
      records: metrics records (see the module docstring).
      path: the PNG to write.
      title: prefixed to the panel titles.
      backend: ``"auto"`` (matplotlib if importable, else built-in), ``"matplotlib"`` or
        ``"builtin"``.

    Returns:
      The backend used.
    """
    if backend in ("auto", "matplotlib"):
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            if backend == "matplotlib":
                raise
        else:
            fig = Figure(figsize=(10, 3.6))
            FigureCanvasAgg(fig)
            for i, key in enumerate(("loss", "accuracy")):
                ax = fig.add_subplot(1, 2, i + 1)
                for split, style in (("train", "-"), ("test", "o-")):
                    xs, ys = _series(records, split, key)
                    if xs:
                        ax.plot(xs, ys, style, label=split, markersize=3)
                ax.set(xlabel="step", ylabel=key, title=f"{title}{key}")
                ax.grid(alpha=0.3)
                ax.legend()
            fig.tight_layout()
            fig.savefig(path, dpi=100)
            return "matplotlib"
    _plot_builtin(records, path, title)
    return "builtin"


# 3x5 pixel glyphs, rows top to bottom.
_FONT = {
    "0": ["###", "#.#", "#.#", "#.#", "###"], "1": [".#.", "##.", ".#.", ".#.", "###"],
    "2": ["###", "..#", "###", "#..", "###"], "3": ["###", "..#", "###", "..#", "###"],
    "4": ["#.#", "#.#", "###", "..#", "..#"], "5": ["###", "#..", "###", "..#", "###"],
    "6": ["###", "#..", "###", "#.#", "###"], "7": ["###", "..#", ".#.", ".#.", ".#."],
    "8": ["###", "#.#", "###", "#.#", "###"], "9": ["###", "#.#", "###", "..#", "###"],
    ".": ["...", "...", "...", "...", ".#."], "-": ["...", "...", "###", "...", "..."],
    "+": ["...", ".#.", "###", ".#.", "..."], " ": ["...", "...", "...", "...", "..."],
    ":": ["...", ".#.", "...", ".#.", "..."],
    "a": ["...", "##.", "..#", "###", "###"], "c": ["...", "###", "#..", "#..", "###"],
    "e": ["###", "#.#", "###", "#..", "###"], "i": [".#.", "...", ".#.", ".#.", ".#."],
    "l": ["#..", "#..", "#..", "#..", "###"], "n": ["...", "##.", "#.#", "#.#", "#.#"],
    "o": ["...", "###", "#.#", "#.#", "###"], "p": ["###", "#.#", "###", "#..", "#.."],
    "r": ["...", "###", "#..", "#..", "#.."], "s": [".##", "#..", ".#.", "..#", "##."],
    "t": ["#..", "###", "#..", "#..", "###"], "u": ["...", "#.#", "#.#", "#.#", "###"],
    "y": ["#.#", "#.#", "###", "..#", "###"], "x": ["...", "#.#", ".#.", "#.#", "#.#"],
    "b": ["#..", "#..", "###", "#.#", "###"], "d": ["..#", "..#", "###", "#.#", "###"],
    "f": [".##", "#..", "###", "#..", "#.."], "g": ["###", "#.#", "###", "..#", "##."],
    "h": ["#..", "#..", "###", "#.#", "#.#"], "j": ["..#", "...", "..#", "#.#", "###"],
    "k": ["#..", "#.#", "##.", "#.#", "#.#"], "m": ["...", "###", "###", "#.#", "#.#"],
    "q": ["###", "#.#", "###", "..#", "..#"], "v": ["...", "#.#", "#.#", "#.#", ".#."],
    "w": ["...", "#.#", "#.#", "###", "###"], "z": ["...", "###", ".#.", "#..", "###"],
    "_": ["...", "...", "...", "...", "###"], "(": [".#.", "#..", "#..", "#..", ".#."],
    ")": [".#.", "..#", "..#", "..#", ".#."], "/": ["..#", "..#", ".#.", "#..", "#.."],
    "=": ["...", "###", "...", "###", "..."], ",": ["...", "...", "...", ".#.", "#.."],
}
_BLUE, _ORANGE = (31, 119, 180), (255, 127, 14)


class _Canvas:
    def __init__(self, width: int, height: int):
        self.pixels = np.full((height, width, 3), 255, np.uint8)

    def rect(self, x0, y0, x1, y1, color) -> None:
        h, w, _ = self.pixels.shape
        x0, x1 = max(int(min(x0, x1)), 0), min(int(max(x0, x1)), w - 1)
        y0, y1 = max(int(min(y0, y1)), 0), min(int(max(y0, y1)), h - 1)
        if x0 <= x1 and y0 <= y1:
            self.pixels[y0:y1 + 1, x0:x1 + 1] = color

    def line(self, x0, y0, x1, y1, color, width: int = 2) -> None:
        n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for t in np.linspace(0.0, 1.0, n + 1):
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            self.rect(x - width // 2, y - width // 2, x + (width - 1) // 2,
                      y + (width - 1) // 2, color)

    def text(self, x, y, s: str, color=(0, 0, 0), scale: int = 2) -> None:
        for ch in s.lower():
            glyph = _FONT.get(ch, _FONT[" "])
            for r, row in enumerate(glyph):
                for c, bit in enumerate(row):
                    if bit == "#":
                        self.rect(x + c * scale, y + r * scale, x + (c + 1) * scale - 1,
                                  y + (r + 1) * scale - 1, color)
            x += 4 * scale

    @staticmethod
    def text_width(s: str, scale: int = 2) -> int:
        return len(s) * 4 * scale


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _plot_builtin(records: list[dict], path: str, title: str) -> None:
    width, height = 900, 340
    canvas = _Canvas(width, height)
    panel_w = width // 2
    for i, key in enumerate(("loss", "accuracy")):
        left, right = i * panel_w + 70, (i + 1) * panel_w - 20
        top, bottom = 40, height - 45
        canvas.text(left, 12, f"{title}{key}", scale=3)
        series = [(split, color, *_series(records, split, key))
                  for split, color in (("train", _BLUE), ("test", _ORANGE))]
        xs = [x for s in series for x in s[2]]
        ys = [y for s in series for y in s[3]]
        canvas.rect(left, top, right, top, (160, 160, 160))
        canvas.rect(left, bottom, right, bottom, (160, 160, 160))
        canvas.rect(left, top, left, bottom, (160, 160, 160))
        canvas.rect(right, top, right, bottom, (160, 160, 160))
        if not xs:
            continue
        x_lo, x_hi = min(xs), max(xs)
        y_lo, y_hi = min(ys), max(ys)
        if x_hi == x_lo:
            x_hi = x_lo + 1
        if y_hi == y_lo:
            y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
        pad = 0.05 * (y_hi - y_lo)
        y_lo, y_hi = y_lo - pad, y_hi + pad

        def px(x, y, x_lo=x_lo, x_hi=x_hi, y_lo=y_lo, y_hi=y_hi, left=left, right=right,
               top=top, bottom=bottom):
            return (left + (x - x_lo) / (x_hi - x_lo) * (right - left),
                    bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - top))

        for frac in (0.25, 0.5, 0.75):  # grid
            canvas.rect(left + 1, top + frac * (bottom - top), right - 1,
                        top + frac * (bottom - top), (235, 235, 235))
        for v in (y_lo + pad, y_hi - pad):
            _, y = px(x_lo, v)
            label = _fmt(v)
            canvas.text(left - 6 - canvas.text_width(label), y - 5, label)
            canvas.rect(left - 4, y, left, y, (0, 0, 0))
        for v in (min(xs), max(xs)):
            x, _ = px(v, y_lo)
            label = str(int(v))
            canvas.text(x - canvas.text_width(label) // 2, bottom + 8, label)
        canvas.text((left + right) // 2 - canvas.text_width("step") // 2, bottom + 26, "step")
        legend_x = left
        for split, color, sx, sy in series:
            if not sx:
                continue
            pts = [px(x, y) for x, y in zip(sx, sy)]
            for (a, b), (c, d) in zip(pts[:-1], pts[1:]):
                canvas.line(a, b, c, d, color)
            if split == "test" or len(pts) == 1:
                for a, b in pts:
                    canvas.rect(a - 2, b - 2, a + 2, b + 2, color)
            canvas.rect(legend_x, bottom + 27, legend_x + 12, bottom + 35, color)
            canvas.text(legend_x + 18, bottom + 26, split)
            legend_x += 80
    write_png(path, canvas.pixels)


def write_png(path: str, pixels: np.ndarray) -> None:
    """Writes an RGB uint8 image ``(height, width, 3)`` as a PNG file."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


# ----------------------------------------------------------------------------------------------
# Progress bar


class ProgressBar:
    """A progress bar over training steps.

    Args:
      total: the last step.
      initial: the first step (resumed runs start past 0).
      enabled: False makes it silent (processes other than 0, tests).
      stream: where the built-in bar writes (default stderr).
      use_tqdm: None uses tqdm when it is importable.
    """

    def __init__(self, total: int, initial: int = 0, enabled: bool = True, stream=None,
                 use_tqdm: bool | None = None):
        self.total, self.step, self.enabled = total, initial, enabled
        self.stream = stream or sys.stderr
        self.loss = None
        self._window = collections.deque(maxlen=50)  # (time, step): the rate's window
        self._last_draw = 0.0
        self._next_line = initial
        self._tqdm = None
        if not enabled:
            return
        if use_tqdm is not False:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._tqdm = tqdm(total=total, initial=initial, unit="step",
                                  dynamic_ncols=True, file=self.stream)
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def rate(self) -> float:
        """Steps per second over the last updates (the first step, compiling, is left out)."""
        if len(self._window) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._window[0], self._window[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def update(self, step: int, loss: float | None = None) -> None:
        """Moves the bar to ``step`` (and shows ``loss`` if given)."""
        if loss is not None:
            self.loss = loss
        self._window.append((time.perf_counter(), step))
        if not self.enabled:
            self.step = step
            return
        if self._tqdm is not None:
            self._tqdm.update(step - self.step)
            self.step = step
            if loss is not None:
                self._tqdm.set_postfix(loss=f"{loss:.4f}")
            return
        self.step = step
        now = time.perf_counter()
        if self._tty:
            if now - self._last_draw >= 0.1 or step >= self.total:
                self._last_draw = now
                self.stream.write("\r" + self._line())
                self.stream.flush()
        elif step >= self._next_line or step >= self.total:
            self._next_line = step + max(self.total // 10, 1)
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def _line(self) -> str:
        width = 30
        frac = self.step / self.total if self.total else 1.0
        filled = int(width * frac)
        bar = "=" * filled + (">" if filled < width else "") + " " * (width - filled - 1)
        loss = f"  loss {self.loss:.4f}" if self.loss is not None else ""
        return (f"step {self.step:>{len(str(self.total))}d}/{self.total} [{bar}] "
                f"{100 * frac:3.0f}%  {self.rate():.1f} steps/s{loss}")

    def close(self) -> None:
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.close()
        elif self._tty:
            self.stream.write("\n")
            self.stream.flush()
