"""Reward functions on known strings, user reward files, and the RewardRunner's error/timeout handling."""

from __future__ import annotations

import pickle
import textwrap
import threading
import time

import pytest

from srlm_engine.rewards import (
    BUILTIN_REWARDS,
    RewardError,
    RewardRunner,
    accuracy,
    answer_is_correct,
    extract_answer,
    extract_boxed,
    extract_gsm8k,
    format_reward,
    length_penalty,
    load_reward_file,
    normalize_number,
    resolve_rewards,
    reward_names_in_file,
)

# ---------------------------------------------------------------------------------------------- extractors


@pytest.mark.parametrize(
    "text,want",
    [
        (r"so \boxed{32}", "32"),
        (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{a{b{c}}d}", "a{b{c}}d"),
        (r"first \boxed{3} then \boxed{4}.", "4"),
        (r"\boxed {7}", "7"),
        (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
        (r"\fbox{9}", "9"),
        (r"\boxed{}", ""),
        (r"\boxed{12", None),
        ("no box here 12", None),
    ],
)
def test_extract_boxed(text, want):
    assert extract_boxed(text) == want


def test_extract_gsm8k_and_normalize():
    assert extract_gsm8k("Natalia sold 48/2 = 24 clips.\n#### 72") == "72"
    assert extract_gsm8k("#### 1\n#### 1,234 \nbye") == "1,234"
    assert extract_gsm8k("#### ") is None and extract_gsm8k("no marker") is None
    assert normalize_number(" $1,234,567.50 ") == "1234567.50"
    assert normalize_number("72.") == "72"
    assert normalize_number("1,2") == "1,2"  # a pair, not a thousands separator
    assert normalize_number("12,34") == "12,34"
    assert extract_answer(r"#### 5 but \boxed{6}") == "6"  # a boxed answer wins over ####
    assert extract_answer("The answer is 5.") is None


# ---------------------------------------------------------------------------------------------- accuracy


@pytest.mark.parametrize(
    "completion,gold,want",
    [
        (r"<think>7 + 5 = 12.</think> \boxed{12}", "12", 1.0),
        (r"\boxed{13}", "12", 0.0),
        (r"\boxed{1,234}", "1234", 1.0),
        (r"\boxed{1234}", "#### 1,234", 1.0),
        ("#### 1,234", "1234", 1.0),
        (r"\boxed{72}", "Natalia sold 48/2 = 24 clips in May.\n#### 72", 1.0),
        (r"\boxed{72.0}", "72", 1.0),
        (r"\boxed{-3}", "-3", 1.0),
        (r"\boxed{3}", "-3", 0.0),
        (r"\boxed{\frac{1}{2}}", "0.5", 1.0),
        (r"\boxed{\dfrac{1}{2}}", r"\frac{1}{2}", 1.0),
        (r"\boxed{\frac{2}{3}}", r"\frac{1}{2}", 0.0),
        (r"\boxed{x^{2}}", "x^2", 1.0),
        (r"\boxed{\{2, 1\}}", r"\{1, 2\}", 1.0),
        (r"\boxed{5} wait, no: \boxed{6}", "6", 1.0),
        (r"\boxed{6} wait, no: \boxed{5}", "6", 0.0),
        ("The answer is 12.", "12", 0.0),  # no boxed / #### answer: no credit, no guessing
        ("", "12", 0.0),
        (r"\boxed{}", "12", 0.0),
        (r"\boxed{12", "12", 0.0),
        (r"<think>\boxed{12}</think> 13", "12", 1.0),  # accuracy does not judge format; `format` does
    ],
)
def test_accuracy_on_known_strings(completion, gold, want):
    assert accuracy([completion], [gold], [""]) == [want]


def test_accuracy_batch_and_bad_gold():
    assert accuracy([r"\boxed{1}", r"\boxed{2}"], ["1", "1"]) == [1.0, 0.0]
    with pytest.raises(ValueError, match="empty gold"):
        answer_is_correct(r"\boxed{1}", "  ")
    with pytest.raises(ValueError):
        accuracy([r"\boxed{1}"], ["1", "2"])


def test_accuracy_with_math_verify_off_the_main_thread():
    # math-verify's signal-based timeout raises off the main thread; accuracy must still work there.
    results = {}

    def run():
        results["v"] = accuracy([r"\boxed{\frac{3}{6}}", r"\boxed{\sqrt{4}}"], [r"\frac{1}{2}", "2"])

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert results["v"] == [1.0, 1.0]


# ---------------------------------------------------------------------------------------------- format, length


@pytest.mark.parametrize(
    "completion,want",
    [
        (r"<think>7 + 5 = 12.</think> \boxed{12}", 1.0),
        ("  <think>\nreasoning\n</think>\n#### 12", 1.0),
        (r"<think>7 + 5 = 12.</think>", 0.0),  # no answer after the block
        (r"<think>   </think> \boxed{12}", 0.0),  # empty reasoning
        (r"\boxed{12}", 0.0),  # no block
        (r"7 + 5 <think>x</think> \boxed{12}", 0.0),  # text before the block
        (r"<think>a</think> \boxed{12} <think>b</think>", 0.0),  # a second block
        (r"<think>a <think> b</think> \boxed{12}", 0.0),
        (r"<think>a \boxed{12}</think> so", 0.0),  # answer only inside the reasoning
        (r"<think>a</think> \boxed{12", 0.0),
    ],
)
def test_format_reward(completion, want):
    assert format_reward([completion]) == [want]


def test_length_penalty_soft_overlong():
    lengths = [10, 80, 90, 100, 130]
    got = length_penalty(["x"] * 5, completion_lengths=lengths, max_new_tokens=100, cache=20)
    assert got == [0.0, 0.0, pytest.approx(-0.5), -1.0, -1.0]
    # Default buffer: a quarter of max_new_tokens (ramp from 75 to 100 tokens).
    assert length_penalty(["x"] * 2, completion_lengths=[75, 95], max_new_tokens=100) == [
        0.0,
        pytest.approx(-0.8),
    ]
    assert length_penalty(["x"], completion_lengths=[60], max_new_tokens=512, max_len=80, cache=40) == [
        pytest.approx(-0.5)
    ]
    with pytest.raises(ValueError, match="completion_lengths"):
        length_penalty(["x"], max_new_tokens=100)
    with pytest.raises(ValueError, match="max or max_new_tokens"):
        length_penalty(["x"], completion_lengths=[3])
    with pytest.raises(ValueError, match="cache"):
        length_penalty(["x"], completion_lengths=[3], max_new_tokens=10, cache=11)


# ---------------------------------------------------------------------------------------------- user files


USER_FILE = textwrap.dedent(
    """
    import os
    import time

    from helper_mod import BONUS  # a helper beside the file is importable


    def short_bonus(completions, answers, prompts):
        # no **kw: the runner must not pass keywords this function cannot take
        return [BONUS if len(c) < 12 else 0.0 for c in completions]


    def echo_len(completions, answers, prompts, completion_lengths=None, **kw):
        return [float(n) for n in completion_lengths]


    def raises_on_bad(completions, answers, prompts, **kw):
        out = []
        for c in completions:
            if "bad" in c:
                raise RuntimeError("cannot score " + c)
            out.append(1.0)
        return out


    def sleeps(completions, answers, prompts, **kw):
        time.sleep(60)
        return [0.0 for _ in completions]


    def wrong_length(completions, answers, prompts, **kw):
        return [1.0]


    def not_a_number(completions, answers, prompts, **kw):
        return ["high" for _ in completions]


    def gives_nan(completions, answers, prompts, **kw):
        return [float("nan") for _ in completions]


    def exits(completions, answers, prompts, **kw):
        os._exit(3)


    def accuracy(completions, answers, prompts, **kw):
        return [0.5 for _ in completions]  # a user may redefine a built-in name


    def _private(completions, answers, prompts, **kw):
        return [0.0]
    """
)


@pytest.fixture(scope="module")
def user_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("rewards")
    (d / "helper_mod.py").write_text("BONUS = 0.25\n")
    p = d / "my_rewards.py"
    p.write_text(USER_FILE)
    return p


def test_reward_names_in_file_reads_without_running(user_file, tmp_path):
    names = reward_names_in_file(user_file)
    assert "short_bonus" in names and "sleeps" in names and "_private" not in names
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    with pytest.raises(RewardError, match=r"bad.py:1: syntax error"):
        reward_names_in_file(bad)
    with pytest.raises(RewardError, match="not found"):
        reward_names_in_file(tmp_path / "missing.py")


def test_load_and_resolve(user_file, tmp_path):
    fns = load_reward_file(user_file)
    assert fns["short_bonus"](["tiny", "a long completion"], ["", ""], ["", ""]) == [0.25, 0.0]
    assert "_private" not in fns and "RewardError" not in fns
    got = resolve_rewards(["accuracy", "format", "short_bonus"], user_file)
    assert got["accuracy"](["x"], ["1"], [""]) == [0.5]  # the user's definition wins
    assert got["format"] is BUILTIN_REWARDS["format"]
    with pytest.raises(RewardError, match="unknown reward function 'nope'.*short_bonus"):
        resolve_rewards(["nope"], user_file)
    with pytest.raises(RewardError, match="no reward_file"):
        resolve_rewards(["short_bonus"])
    crashing = tmp_path / "crash_on_import.py"
    crashing.write_text("raise ImportError('no such lib')\n")
    with pytest.raises(RewardError, match="importing .* failed: ImportError") as e:
        load_reward_file(crashing)
    assert e.value.kind == "load" and "no such lib" in e.value.traceback


def test_reward_error_round_trips_through_pickle():
    e = RewardError("boom", fn="f", kind="timeout", index=2, sample={"prompt": "p"}, traceback="tb")
    back = pickle.loads(pickle.dumps(e))
    assert back.to_dict() == e.to_dict() and str(back) == "reward 'f' timeout on sample 2: boom"


# ---------------------------------------------------------------------------------------------- runner

BATCH = dict(
    completions=[r"<think>1 + 1 = 2.</think> \boxed{2}", r"\boxed{5}", "a long wrong answer"],
    answers=["2", "5", "7"],
    prompts=["Compute 1 + 1.", "p2", "p3"],
)


def test_runner_weighted_sum_with_builtin_and_user_rewards(user_file):
    specs = [
        {"fn": "format", "weight": 0.2},
        {"fn": "short_bonus", "weight": 2.0},
        {"fn": "echo_len", "weight": 0.0},
        {"fn": "length_penalty", "weight": 1.0, "args": {"max_len": 10, "cache": 5}},
    ]
    with RewardRunner(specs, reward_file=user_file, timeout=20) as runner:
        res = runner.score(**BATCH, completion_lengths=[3, 8, 20], max_new_tokens=64)
        assert res.per_fn["format"] == [1.0, 0.0, 0.0]
        assert res.per_fn["short_bonus"] == [0.0, 0.25, 0.0]
        assert res.per_fn["echo_len"] == [3.0, 8.0, 20.0]
        assert res.per_fn["length_penalty"] == [0.0, pytest.approx(-0.6), -1.0]
        assert res.total == [pytest.approx(0.2), pytest.approx(0.5 - 0.6), pytest.approx(-1.0)]
        assert set(res.seconds) == {"format", "short_bonus", "echo_len", "length_penalty"}
        stats = res.stats()
        assert stats["reward/format/mean"] == pytest.approx(1 / 3)
        # Another batch on the same worker; an empty batch needs no worker round trip.
        again = runner.score([r"\boxed{9}"], ["9"], ["p"], completion_lengths=[1])
        assert again.per_fn["short_bonus"] == [0.25]
        assert runner.score([], [], []).total == []
        with pytest.raises(ValueError, match="batch sizes differ"):
            runner.score(["a"], [], ["p"])


def test_runner_accuracy_builtin(user_file):
    with RewardRunner([("format", 1.0)], timeout=20) as runner:
        assert runner.score(**BATCH).total == [1.0, 0.0, 0.0]
    with RewardRunner(["accuracy"], timeout=20) as runner:  # no reward file: the built-in accuracy
        res = runner.score(**BATCH)
        assert res.per_fn["accuracy"] == [1.0, 1.0, 0.0]
        # A LaTeX answer takes the math-verify path inside the worker (signal timeouts on its main thread).
        assert runner.score([r"\boxed{\frac{2}{4}}"], ["0.5"], ["p"]).total == [1.0]


def test_runner_reports_a_raising_reward_with_its_sample(user_file):
    with RewardRunner(["raises_on_bad"], reward_file=user_file, timeout=20) as runner:
        with pytest.raises(RewardError) as e:
            runner.score(["fine", "a bad one", "fine too"], ["1", "2", "3"], ["p0", "p1", "p2"])
        err = e.value
        assert err.kind == "error" and err.fn == "raises_on_bad" and err.index == 1
        assert err.sample == {"index": 1, "prompt": "p1", "completion": "a bad one", "answer": "2"}
        assert "RuntimeError: cannot score a bad one" in err.traceback
        # The worker survives a raising function.
        assert runner.score(["fine"], ["1"], ["p"]).total == [1.0]


def test_runner_times_out_a_sleeping_reward_and_recovers(user_file):
    with RewardRunner(["sleeps"], reward_file=user_file, timeout=1.0) as runner:
        runner.start()
        t0 = time.monotonic()
        with pytest.raises(RewardError) as e:
            runner.score(**BATCH)
        assert time.monotonic() - t0 < 5
        err = e.value
        assert err.kind == "timeout" and err.fn == "sleeps" and err.sample["batch_size"] == 3
        assert err.sample["completion"] == BATCH["completions"][0]
    with RewardRunner(["sleeps", "format"], reward_file=user_file, timeout=1.0) as runner:
        with pytest.raises(RewardError, match="timeout"):
            runner.score(**BATCH)
        # A fresh worker replaces the killed one; the same runner keeps working (and times out again).
        with pytest.raises(RewardError, match="timeout"):
            runner.score(**BATCH)


@pytest.mark.parametrize(
    "fn,match,index",
    [
        ("wrong_length", "returned 1 values for 3", None),
        ("not_a_number", "not a number", 0),
        ("gives_nan", "not finite", 0),
    ],
)
def test_runner_rejects_malformed_outputs(user_file, fn, match, index):
    with RewardRunner([fn], reward_file=user_file, timeout=20) as runner:
        with pytest.raises(RewardError, match=match) as e:
            runner.score(**BATCH)
        assert e.value.kind == "bad_output" and e.value.index == index


def test_runner_reports_a_crashed_worker_and_load_errors(user_file):
    with RewardRunner(["exits"], reward_file=user_file, timeout=20) as runner:
        with pytest.raises(RewardError) as e:
            runner.score(**BATCH)
        assert e.value.kind == "crash" and e.value.fn == "exits" and "exit code 3" in e.value.message
    with pytest.raises(RewardError, match="unknown reward function 'nope'") as e:
        RewardRunner(["nope"], reward_file=user_file).start()
    assert e.value.kind == "load"
    with pytest.raises(ValueError, match="listed twice"):
        RewardRunner(["format", ("format", 2.0)])
    with pytest.raises(ValueError, match="timeout"):
        RewardRunner(["format"], timeout=0)


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "stuck-in-user-code"])
def test_worker_exits_when_its_parent_dies(tmp_path, busy):
    import os
    import subprocess
    import sys

    (tmp_path / "spin.py").write_text(
        "def spin(completions, answers, prompts, **kw):\n    while True:\n        pass\n"
    )
    code = (
        "import os, sys, threading, time\n"
        "from srlm_engine.rewards import RewardRunner\n"
        f"r = RewardRunner(['spin'], reward_file={str(tmp_path / 'spin.py')!r}, timeout=600)\n"
        "r.start()\n"
        f"if {busy}:\n"
        "    threading.Thread(target=r.score, args=(['c'], ['a'], ['p']), daemon=True).start()\n"
        "    time.sleep(1.0)\n"
        "print(r.worker_pid, flush=True)\n"
        "os._exit(0)\n"  # no close(), no finalizers: as if the engine were killed
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    raise AssertionError("the reward worker outlived its parent")
