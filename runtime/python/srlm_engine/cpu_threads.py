"""The CPU threads each kind of work gets, chosen so that the thread count changes speed and never a weight.

Measured on this engine's models: a forward pass gives the same bits at any thread count (matrix products split
rows and columns, softmax and norms work row by row, and sampling draws its random numbers the same way), while
gradients do not (a weight's gradient sums over every token, and threads split that sum). So forward-only work
(generation, evals, teacher logits) and the training forward run on the pipeline's `cpu_threads`, and whatever
computes a gradient — backward passes, the fused losses' in-forward head gradients (losses.py), gradient
clipping, optimizer steps — runs inside `gradients()`, on the engine's gradient thread count:
`SRLM_NUM_THREADS`, else half the cores. Half, because small models gain little from more threads and OpenMP's
spin-waiting collapses (10x slower steps measured on 2 busy cores) as soon as another process competes.

torch's thread count belongs to the process, so the counts of the run are process-wide too (`use`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class CpuThreads:
    forward: int
    gradient: int

    @classmethod
    def for_run(cls, setting: int | None) -> CpuThreads:
        """`setting` is the pipeline's `cpu_threads`; `SRLM_NUM_THREADS`, a shared machine's limit, caps it."""
        env = os.environ.get("SRLM_NUM_THREADS")
        gradient = int(env) if env else max(1, (os.cpu_count() or 2) // 2)
        if setting is None:
            return cls(gradient, gradient)
        return cls(min(setting, int(env)) if env else setting, gradient)


# None: a GPU run, or code outside a run (tests, benches), where nothing switches.
_current: CpuThreads | None = None


def use(threads: CpuThreads | None) -> None:
    """Makes `threads` the process's counts (forward threads from now on, gradient threads in `gradients()`);
    None, for a GPU run, leaves torch's count alone and switches nothing."""
    global _current
    _current = threads
    if threads is not None:
        torch.set_num_threads(threads.forward)


@contextlib.contextmanager
def gradients() -> Iterator[None]:
    """Gradient work runs on the gradient thread count inside this block (a no-op when the counts are equal)."""
    threads = _current
    if threads is None or threads.forward == threads.gradient:
        yield
        return
    torch.set_num_threads(threads.gradient)
    try:
        yield
    finally:
        torch.set_num_threads(threads.forward)
