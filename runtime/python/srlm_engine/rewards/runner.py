"""RewardRunner: scores a batch with a weighted sum of reward functions in a worker process, with a timeout."""

from __future__ import annotations

import inspect
import math
import numbers
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback as tb
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..plan_types import RewardTerm
from .registry import RewardError, resolve_rewards
from .signature import call_reward

__all__ = ["RewardResult", "RewardRunner", "RewardSpec"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class RewardSpec:
    fn: str
    weight: float = 1.0
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RewardResult:
    """``total[i] = Σ weight·per_fn[name][i]``; ``seconds[name]`` is each function's wall time on this batch."""

    total: Sequence[float]
    per_fn: dict[str, list[float]]
    seconds: dict[str, float]

    def stats(self) -> dict[str, float]:
        """Mean and (population) std of the total and of each function, as flat metric names."""
        out: dict[str, float] = {}
        for name, values in [("total", self.total), *self.per_fn.items()]:
            if not values:
                continue
            mean = sum(values) / len(values)
            out[f"reward/{name}/mean"] = mean
            out[f"reward/{name}/std"] = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        return out


def _normalize_specs(rewards) -> list[RewardSpec]:
    specs: list[RewardSpec] = []
    for r in rewards:
        if isinstance(r, RewardSpec):
            specs.append(r)
        elif isinstance(r, RewardTerm):  # the plan's `reward` terms
            specs.append(RewardSpec(r.fn, float(r.weight), dict(r.args or {})))
        elif isinstance(r, str):
            specs.append(RewardSpec(r))
        elif isinstance(r, Mapping):
            specs.append(RewardSpec(str(r["fn"]), float(r.get("weight", 1.0)), dict(r.get("args") or {})))
        else:
            name, weight = r
            specs.append(RewardSpec(str(name), float(weight)))
    if not specs:
        raise ValueError("at least one reward function is needed")
    names = [s.fn for s in specs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"reward function(s) listed twice: {', '.join(dup)}; combine their weights")
    return specs


def _per_sample_kwargs(kw: Mapping[str, Any], n: int, i: int) -> dict[str, Any]:
    return {k: (v[i : i + 1] if isinstance(v, (list, tuple)) and len(v) == n else v) for k, v in kw.items()}


def _accepted_kwargs(fn, kw: Mapping[str, Any]) -> dict[str, Any]:
    """Drop keywords a function cannot take, so a user function without ``**kw`` still works."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return dict(kw)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return dict(kw)
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in kw.items() if k in names}


def _check_output(out: Any, n: int, name: str) -> list[float]:
    try:
        values = list(out)
    except TypeError:
        raise RewardError(
            f"returned {type(out).__name__}, expected a list of {n} floats", fn=name, kind="bad_output"
        ) from None
    if len(values) != n:
        raise RewardError(f"returned {len(values)} values for {n} completions", fn=name, kind="bad_output")
    result = []
    for i, v in enumerate(values):
        if hasattr(v, "item") and not isinstance(v, numbers.Real):
            v = v.item()  # 0-d numpy/torch scalars
        if not isinstance(v, numbers.Real):
            raise RewardError(f"value {v!r} is not a number", fn=name, kind="bad_output", index=i)
        f = float(v)
        if not math.isfinite(f):
            raise RewardError(f"value {f} is not finite", fn=name, kind="bad_output", index=i)
        result.append(f)
    return result


PARENT_ENV = "SRLM_REWARD_PARENT_PID"
OUTPUT_LIMIT_ENV = "SRLM_REWARD_OUTPUT_MAX_BYTES"
DEFAULT_OUTPUT_LIMIT = 4 << 20


def _watch_parent(parent_pid: int) -> None:
    # EOF on the pipe ends an idle worker, but not one stuck in a user function (an endless loop would outlive
    # a killed engine forever): when the parent is gone we are re-parented, so exit at once.
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(1)


def _guard_parent() -> None:
    """Make the worker die with the engine, even inside user code that never returns to Python.

    On Linux the kernel sends SIGKILL when the parent exits (PR_SET_PDEATHSIG): a catastrophic regex holds the GIL,
    so a Python watchdog thread would never run. Elsewhere the watchdog thread polls the parent pid; the worker
    also shares the engine's process group, so `srlm stop` reaches it on every platform."""
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the engine died before the guard was set
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()


def _worker_main(conn) -> None:
    # The worker is in the engine's process group: a terminal's Ctrl-C and `srlm stop`'s SIGTERM are for the
    # engine, which finishes its step and closes the worker itself; the stop's final SIGKILL reaches it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _guard_parent()
    try:
        _, names, reward_file, fn_args = conn.recv()
    except (EOFError, OSError):
        return
    try:
        fns = resolve_rewards(names, reward_file, fn_args)
        if "accuracy" in fns:
            import math_verify  # noqa: F401  - first use would otherwise spend the batch's time budget importing
    except RewardError as e:
        conn.send(("load_error", e))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "close":
            return
        _, completions, answers, prompts, kw, budget = msg
        end = time.monotonic() + budget
        n = len(completions)
        per_fn: dict[str, list[float]] = {}
        seconds: dict[str, float] = {}
        failure = None
        for name in names:
            conn.send(("start", name))
            call_kw = _accepted_kwargs(fns[name], {**kw, **fn_args.get(name, {})})
            t0 = time.perf_counter()
            try:
                out = call_reward(fns[name], completions, answers, prompts, call_kw)
                per_fn[name] = _check_output(out, n, name)
            except RewardError as e:
                e.fn = e.fn or name
                failure = e
            except BaseException as e:  # noqa: BLE001 - user code may raise SystemExit; report, don't die
                trace = tb.format_exc()
                failure = RewardError(
                    f"{type(e).__name__}: {e}",
                    fn=name,
                    kind="error",
                    index=_find_failing_sample(fns[name], completions, answers, prompts, call_kw, end),
                    traceback=trace,
                )
            seconds[name] = time.perf_counter() - t0
            if failure is not None:
                break
        conn.send(("error", failure) if failure is not None else ("done", per_fn, seconds))


def _find_failing_sample(fn, completions, answers, prompts, kw, end: float) -> int | None:
    """Re-run a failed batch one sample at a time (while time is left) to name the sample that raises."""
    n = len(completions)
    for i in range(n):
        if time.monotonic() > end - 0.05:
            return None
        try:
            call_reward(fn, [completions[i]], [answers[i]], [prompts[i]], _per_sample_kwargs(kw, n, i))
        except BaseException:  # noqa: BLE001
            return i
    return None


class RewardRunner:
    """Evaluate ``Σ weight·fn(completions, answers, prompts, **kw)`` over a batch, off the main process.

    Reward functions run in one worker process (a fresh interpreter), in its main thread — so math-verify's
    signal-based timeouts work there and a hung function can be killed (a thread could not be). ``timeout`` bounds each
    ``score`` call (all functions on the batch); on expiry the worker is killed and restarted on the next call.
    The worker starts on the first ``score`` (or ``start()``), which also checks that every name resolves.
    Not thread-safe: call it from one thread. Use as a context manager or call ``close()``.
    """

    def __init__(
        self,
        rewards,
        reward_file: str | Path | None = None,
        timeout: float = 10.0,
        start_timeout: float = 120.0,
        output_limit: int | None = None,
    ):
        if timeout <= 0:
            raise ValueError(f"reward timeout must be > 0, got {timeout}")
        self.specs = _normalize_specs(rewards)
        self.reward_file = str(Path(reward_file).resolve()) if reward_file else None
        self.timeout = float(timeout)
        self.start_timeout = float(start_timeout)
        self._proc: subprocess.Popen | None = None
        self._conn: Any = None  # the worker's Connection once started
        self._finalizer = None
        self._output = _OutputBudget(output_limit)

    @property
    def worker_pid(self) -> int | None:
        """Process id of the running worker, None before start or after a kill."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def names(self) -> list[str]:
        return [s.fn for s in self.specs]

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        # A fresh interpreter (not multiprocessing's spawn, which re-imports the parent's __main__ and fails when
        # that is stdin or an unguarded script), in the engine's process group, so the group signals of
        # `srlm stop` reach it; it ignores SIGINT/SIGTERM (the engine stops it) and dies with the engine
        # (_guard_parent). Its output goes through a pipe with a byte budget, so a reward that prints megabytes
        # per batch cannot grow engine.log without bound.
        parent_sock, child_sock = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        env[PARENT_ENV] = str(os.getpid())
        env["PYTHONUNBUFFERED"] = "1"  # a pipe would otherwise hold a killed worker's last words
        proc = subprocess.Popen(
            [sys.executable, "-m", "srlm_engine.rewards._worker", str(child_sock.fileno())],
            pass_fds=(child_sock.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        threading.Thread(
            target=self._output.forward, args=(proc.stdout,), daemon=True, name="reward-output"
        ).start()
        child_sock.close()
        conn = Connection(parent_sock.detach())
        self._proc, self._conn = proc, conn
        self._finalizer = weakref.finalize(self, _kill, proc, conn)
        conn.send(("load", self.names, self.reward_file, {s.fn: dict(s.args) for s in self.specs}))
        if not conn.poll(self.start_timeout):
            self._kill()
            raise RewardError(f"reward worker did not start within {self.start_timeout:g} s", kind="crash")
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            code = self._exit_code()
            self._kill()
            raise RewardError(
                f"reward worker exited while loading (exit code {code})", kind="crash"
            ) from None
        if msg[0] == "load_error":
            self._kill()
            raise msg[1]

    def score(
        self, completions: Sequence[str], answers: Sequence[str], prompts: Sequence[str], **kw
    ) -> RewardResult:
        """Score one batch. ``kw`` is passed to every function (per-sample lists of length N, or scalars), e.g.
        ``completion_lengths`` and ``max_new_tokens`` for ``length_penalty``. Raises RewardError on any failure."""
        n = len(completions)
        if len(answers) != n or len(prompts) != n:
            raise ValueError(
                f"batch sizes differ: {n} completions, {len(answers)} answers, {len(prompts)} prompts"
            )
        if n == 0:
            return RewardResult([], {s.fn: [] for s in self.specs}, {s.fn: 0.0 for s in self.specs})
        self.start()
        conn = self._conn
        conn.send(("score", list(completions), list(answers), list(prompts), dict(kw), self.timeout))
        deadline = time.monotonic() + self.timeout
        current = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not conn.poll(remaining):
                self._kill()
                sample = self._sample(completions, answers, prompts, 0)
                sample["batch_size"] = n
                raise RewardError(
                    f"the batch of {n} did not finish within {self.timeout:g} s (reward_timeout); the worker was "
                    "stopped",
                    fn=current,
                    kind="timeout",
                    sample=sample,
                )
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                code = self._exit_code()
                self._kill()
                raise RewardError(
                    f"reward worker died (exit code {code})", fn=current, kind="crash"
                ) from None
            if msg[0] == "start":
                current = msg[1]
            elif msg[0] == "error":
                err: RewardError = msg[1]
                if err.index is not None:
                    err.sample = self._sample(completions, answers, prompts, err.index)
                raise err
            else:
                _, per_fn, seconds = msg
                weights = {s.fn: s.weight for s in self.specs}
                total = [sum(weights[f] * per_fn[f][i] for f in self.names) for i in range(n)]
                return RewardResult(total, per_fn, seconds)

    @staticmethod
    def _sample(completions, answers, prompts, i: int) -> dict[str, Any]:
        return {"index": i, "prompt": prompts[i], "completion": completions[i], "answer": answers[i]}

    def _exit_code(self) -> int | None:
        """The worker's exit code once its end of the pipe closed (it may take a moment to be reaped)."""
        try:
            return self._proc.wait(timeout=2) if self._proc else None
        except subprocess.TimeoutExpired:
            return None

    def _kill(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._proc = self._conn = self._finalizer = None

    def close(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            try:
                self._conn.send(("close",))
                self._proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    def __enter__(self) -> RewardRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _OutputBudget:
    """Forwards the workers' output to the engine's stderr (engine.log) up to a byte budget for the whole run
    (``output_limit``, else $SRLM_REWARD_OUTPUT_MAX_BYTES, else 4 MiB), then counts what it drops and says so
    once; the pipe is always drained, so a chatty worker never blocks on a full pipe."""

    def __init__(self, limit: int | None):
        self.limit = int(
            limit if limit is not None else os.environ.get(OUTPUT_LIMIT_ENV) or DEFAULT_OUTPUT_LIMIT
        )
        self.written = 0
        self.dropped = 0
        self._lock = threading.Lock()

    def forward(self, pipe) -> None:
        fd = pipe.fileno()
        try:
            while chunk := os.read(fd, 1 << 16):
                with self._lock:
                    room = max(0, self.limit - self.written)
                    keep = chunk[:room]
                    self.written += len(keep)
                    first_drop = self.dropped == 0 and len(chunk) > len(keep)
                    self.dropped += len(chunk) - len(keep)
                    _write_all(2, keep)
                    if first_drop:
                        _write_all(
                            2,
                            f"\n[srlm] reward functions printed more than {self.limit} bytes; further output "
                            f"is dropped (set {OUTPUT_LIMIT_ENV} to keep more)\n".encode(),
                        )
        except OSError:
            pass
        finally:
            pipe.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except OSError:
            return


def _kill(proc, conn) -> None:
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    conn.close()
