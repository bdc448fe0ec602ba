"""Datasets through Hugging Face `datasets`: every local format, hub-layout folders and the hub cache (offline),
GSM8K rationales, chat messages, R1 traces, holdout parts, weighted mixes, and bad data named by file and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_helpers import (
    base_plan,
    check_rows,
    engine_env,
    load_rows,
    metric_series,
    read_events,
    stop_after,
    tiny_model_dir,
    write_plan,
)

from srlm_engine import data
from srlm_engine.run import EXIT_OK, EXIT_STOPPED, run

GSM8K_COMMIT = "e53f048856ff4f594e959d75785d2c2d37b678ee"


def gsm8k_rows(n: int, start: int = 0) -> list[dict]:
    """Rows shaped as GSM8K's: a question, and a rationale with <<…>> calculator notes ending in `#### N`."""
    return [
        {
            "question": f"Natalia sold clips to {i + 2} friends, 24 each. How many clips did she sell?",
            "answer": f"She sold {i + 2} * 24 = <<{i + 2}*24={(i + 2) * 24}>>{(i + 2) * 24} clips.\n"
            f"#### {(i + 2) * 24}",
        }
        for i in range(start, start + n)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def build_hub_cache(hf_home: Path, rows: dict[str, list[dict]], readme: bool = True) -> Path:
    """`openai/gsm8k` as `huggingface_hub` caches it: main/{split}-00000-of-00001.parquet under a snapshot."""
    repo = hf_home / "hub" / "datasets--openai--gsm8k"
    snap = repo / "snapshots" / GSM8K_COMMIT
    for split, r in rows.items():
        write_parquet(snap / "main" / f"{split}-00000-of-00001.parquet", r)
    if readme:  # the card's YAML declares the configs, as the real GSM8K card does
        (snap / "README.md").write_text(
            "---\nconfigs:\n- config_name: main\n  data_files:\n"
            + "".join(f"  - split: {s}\n    path: main/{s}-*\n" for s in rows)
            + "---\n# gsm8k\n"
        )
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(GSM8K_COMMIT)
    return snap


GSM8K_SPEC = {"prompt": "question", "completion": "answer", "answer": "answer", "shuffle": False}


# ---- every format ----------------------------------------------------------------------------------------


def test_every_local_format_reads_the_same_rows(tmp_path):
    import datasets

    rows = gsm8k_rows(12)
    files = {
        "d.jsonl": write_jsonl(tmp_path / "d.jsonl", rows),
        "d.json": tmp_path / "d.json",
        "wrapped.json": tmp_path / "wrapped.json",
        "d.csv": tmp_path / "d.csv",
        "d.parquet": write_parquet(tmp_path / "d.parquet", rows),
        "d.arrow": tmp_path / "d.arrow",
        "stream.arrow": tmp_path / "stream.arrow",
    }
    files["d.json"].write_text(json.dumps(rows, indent=1))
    files["wrapped.json"].write_text(json.dumps({"data": rows}))
    import csv

    with open(files["d.csv"], "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["question", "answer"])
        w.writeheader()
        w.writerows(rows)
    table = pa.Table.from_pylist(rows)
    with pa.ipc.new_file(files["d.arrow"], table.schema) as w:
        w.write_table(table)
    with pa.ipc.new_stream(files["stream.arrow"], table.schema) as w:
        w.write_table(table)
    # A save_to_disk folder (one Dataset) and one of a DatasetDict, whose split is chosen by `split`.
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(gsm8k_rows(3, 50)), "test": datasets.Dataset.from_list(rows)}
    ).save_to_disk(str(tmp_path / "saved_dict"))
    # A folder laid out as hub repos are, without a card: data/{split}-0000N-of-0000M.parquet shards.
    write_parquet(tmp_path / "repo/data/test-00000-of-00002.parquet", rows[:5])
    write_parquet(tmp_path / "repo/data/test-00001-of-00002.parquet", rows[5:])
    write_parquet(tmp_path / "repo/data/train-00000-of-00001.parquet", gsm8k_rows(2, 90))

    want = [
        {"prompt": r["question"], "completion": r["answer"], "answer": r["answer"].rsplit("#### ", 1)[1]}
        for r in rows
    ]
    sources = [(str(p), {}) for p in files.values()]
    sources += [(str(tmp_path / "saved"), {}), (str(tmp_path / "saved_dict"), {"split": "test"})]
    sources += [(str(tmp_path / "repo"), {"split": "test"})]
    for source, extra in sources:
        got = load_rows("g", {**GSM8K_SPEC, "source": source, **extra}, seed=0)
        assert got == want, source
    # `path`, the former name of `source`, still works in hand-written plans.
    assert load_rows("g", {**GSM8K_SPEC, "path": str(files["d.jsonl"])}, seed=0) == want
    with pytest.raises(data.DataError, match=r"no split 'validation' \(splits: train, test\)"):
        load_rows("g", {**GSM8K_SPEC, "source": str(tmp_path / "repo"), "split": "validation"}, 0)
    with pytest.raises(data.DataError, match=r"no split 'dev' \(splits: train, test\)"):
        load_rows("g", {**GSM8K_SPEC, "source": str(tmp_path / "saved_dict"), "split": "dev"}, 0)


def test_a_bad_row_in_a_second_shard_is_named_by_its_shard_and_row(tmp_path):
    rows = gsm8k_rows(8)
    write_parquet(tmp_path / "repo/data/train-00000-of-00002.parquet", rows[:5])
    bad = rows[5:]
    bad[1]["answer"] = None
    write_parquet(tmp_path / "repo/data/train-00001-of-00002.parquet", bad)
    issues, count, n = check_rows("g", {**GSM8K_SPEC, "source": str(tmp_path / "repo")})
    assert (count, n) == (1, 8)  # one issue per bad row, though its column is both completion and answer
    assert issues[0].file.endswith("train-00001-of-00002.parquet") and issues[0].row == 2
    assert issues[0].line is None and "null" in issues[0].message


# ---- the seed's data: GSM8K, messages, R1 traces ------------------------------------------------------------


def test_gsm8k_rationales_become_completions_and_final_answers(tmp_path):
    src = str(write_jsonl(tmp_path / "g.jsonl", gsm8k_rows(3)))
    kept = load_rows("g", {**GSM8K_SPEC, "source": src}, 0)[0]
    assert kept["answer"] == "48"
    assert kept["completion"] == "She sold 2 * 24 = <<2*24=48>>48 clips.\n#### 48"
    tidy = load_rows(
        "g", {**GSM8K_SPEC, "source": src, "calculator_notes": "strip", "final_answer": "boxed"}, 0
    )[0]
    assert tidy == {
        "prompt": kept["prompt"],
        "completion": "She sold 2 * 24 = 48 clips.\n\\boxed{48}",
        "answer": "48",
    }
    # An answer column without `####` is used as it is.
    write_jsonl(tmp_path / "plain.jsonl", [{"question": "q", "answer": 72}])
    assert (
        load_rows(
            "p", {"source": str(tmp_path / "plain.jsonl"), "prompt": "question", "answer": "answer"}, 0
        )[0]["answer"]
        == "72"
    )


def test_chat_messages_rows(tmp_path):
    chats = [
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": f"What is {i} + {i}?"},
                {"role": "assistant", "content": f"<think>{i} + {i} = {2 * i}</think> \\boxed{{{2 * i}}}"},
            ],
            "gold": str(2 * i),
        }
        for i in range(4)
    ]
    src = str(write_parquet(tmp_path / "chat.parquet", chats))
    rows = load_rows("c", {"source": src, "messages": "messages", "answer": "gold", "shuffle": False}, 0)
    assert rows[1]["messages"] == chats[1]["messages"][:2]
    assert rows[1]["completion"] == chats[1]["messages"][2]["content"] and rows[1]["answer"] == "2"
    # RL prompts: messages without the assistant turn are fine when an answer column is named.
    prompts = [{"messages": c["messages"][:2], "gold": c["gold"]} for c in chats]
    src2 = str(write_jsonl(tmp_path / "prompts.jsonl", prompts))
    got = load_rows("p", {"source": src2, "messages": "messages", "answer": "gold", "shuffle": False}, 0)
    assert got[0]["completion"] is None and got[0]["messages"] == prompts[0]["messages"]
    bad = chats[:3] + [{"messages": [{"role": "user", "content": None}], "gold": "1"}]
    write_jsonl(tmp_path / "bad.jsonl", bad)
    with pytest.raises(data.DataError, match=r"bad.jsonl:4\): messages column 'messages': message 1 must be"):
        load_rows("b", {"source": str(tmp_path / "bad.jsonl"), "messages": "messages"}, 0)


def test_r1_traces_are_wrapped_in_think_before_the_answer(tmp_path):
    traces = [{"problem": "2 + 3?", "trace": "2 plus 3 is 5.", "solution": "\\boxed{5}"}]
    src = str(write_jsonl(tmp_path / "r1.jsonl", traces))
    spec = {"source": src, "prompt": "problem", "reasoning": "trace", "completion": "solution"}
    row = load_rows("r1", spec, 0)[0]
    assert row["completion"] == "<think>\n2 plus 3 is 5.\n</think>\n\\boxed{5}"


# ---- holdout and builtin validation ----------------------------------------------------------------------


def test_holdout_parts_are_disjoint_seeded_and_cover_every_row(tmp_path):
    src = str(write_jsonl(tmp_path / "g.jsonl", gsm8k_rows(200)))
    spec = {**GSM8K_SPEC, "source": src, "holdout": 0.1, "shuffle": True}
    rest = load_rows("train", spec, seed=5)
    held = load_rows("val", {**spec, "part": "holdout"}, seed=5)
    assert len(held) == 20 and len(rest) == 180
    assert not {r["prompt"] for r in rest} & {r["prompt"] for r in held}
    assert len({r["prompt"] for r in rest + held}) == 200
    assert {r["prompt"] for r in load_rows("val", {**spec, "part": "holdout"}, seed=5)} == {
        r["prompt"] for r in held
    }
    other_seed = {r["prompt"] for r in load_rows("val", {**spec, "part": "holdout"}, seed=6)}
    assert other_seed != {r["prompt"] for r in held}
    # `limit` applies within the part, after the shuffle.
    assert len(load_rows("val", {**spec, "part": "holdout", "limit": 5}, seed=5)) == 5


def test_builtin_arithmetic_has_a_validation_split_disjoint_from_train_and_test():
    prompts = {
        split: {
            r["prompt"] for r in load_rows(split, {"builtin": "arithmetic", "split": split, "limit": 150}, 3)
        }
        for split in ("train", "validation", "test")
    }
    assert all(len(p) == 150 for p in prompts.values())
    assert not prompts["train"] & prompts["validation"]
    assert not prompts["validation"] & prompts["test"] and not prompts["train"] & prompts["test"]
    with pytest.raises(data.DataError, match="no split 'dev'"):
        load_rows("x", {"builtin": "arithmetic", "split": "dev"}, 0)


def test_builtin_level_picks_the_difficulty_and_keeps_the_splits_disjoint():
    from srlm_engine.tasks import arithmetic

    def rows(split, level=None):
        spec = {"builtin": "arithmetic", "split": split, "limit": 120, **({"level": level} if level else {})}
        return load_rows(split, spec, 3)

    def steps(row):
        return row["completion"].count(" = ")

    easy, hard = rows("train"), rows("train", "hard")
    assert max(steps(r) for r in easy) <= 2 and min(steps(r) for r in hard) >= 3
    assert all(arithmetic.solve(r["prompt"]) == int(r["answer"]) for r in hard)
    assert {r["prompt"] for r in rows("train", "medium")} != {r["prompt"] for r in easy}
    # A problem's split is a hash of its text, whatever the level: a medium test problem is never a training one.
    assert not {r["prompt"] for r in rows("test", "medium")} & {r["prompt"] for r in rows("train", "medium")}


def test_builtin_answer_noise_slips_only_the_boxed_answer_of_that_share_of_solutions():
    clean = load_rows("train", {"builtin": "arithmetic", "split": "train", "limit": 1000}, 5)
    noisy = load_rows(
        "train", {"builtin": "arithmetic", "split": "train", "limit": 1000, "answer_noise": 0.3}, 5
    )
    assert [r["prompt"] for r in noisy] == [r["prompt"] for r in clean]
    assert [r["answer"] for r in noisy] == [r["answer"] for r in clean]  # rewards and evals stay exact
    changed = [(c, n) for c, n in zip(clean, noisy, strict=True) if c["completion"] != n["completion"]]
    assert 0.25 < len(changed) / len(clean) < 0.35, len(changed)
    for c, n in changed:
        steps, boxed = n["completion"].rsplit("\\boxed{", 1)
        assert c["completion"].startswith(steps)  # the worked steps are the true ones
        assert 1 <= abs(int(boxed.rstrip("}")) - int(c["answer"])) <= 10 and int(boxed.rstrip("}")) >= 0


# ---- weighted mixes ---------------------------------------------------------------------------------------


def test_a_mix_draws_rows_in_proportion_and_uses_every_row():
    small = [{"prompt": f"s{i}", "completion": "c", "answer": None} for i in range(100)]
    large = [{"prompt": f"l{i}", "completion": "c", "answer": None} for i in range(1000)]
    mixed = data.mix_rows([("cot", small, 0.7), ("r1", large, 0.3)], seed=1)
    counts = Counter(r["prompt"][0] for r in mixed)
    share = counts["s"] / len(mixed)
    assert abs(share - 0.7) < 0.005, share
    assert {r["prompt"] for r in mixed} >= {r["prompt"] for r in small + large}  # nothing dropped
    # The small part repeats its rows evenly (23 or 24 times each), not a few rows many times.
    per_row = Counter(r["prompt"] for r in mixed if r["prompt"][0] == "s")
    assert max(per_row.values()) - min(per_row.values()) <= 1
    assert mixed == data.mix_rows([("cot", small, 0.7), ("r1", large, 0.3)], seed=1)
    assert mixed != data.mix_rows([("cot", small, 0.7), ("r1", large, 0.3)], seed=2)
    # Weights are proportions: 7 and 3 mean the same as 0.7 and 0.3.
    assert data.mix_rows([("cot", small, 7), ("r1", large, 3)], seed=1) == mixed


def test_a_stage_on_a_mix_resumes_bitwise(tmp_path):
    model = tiny_model_dir(tmp_path, "m")
    plan = base_plan({"m": model}, [])
    plan["datasets"]["gsm"] = {
        "source": str(write_jsonl(tmp_path / "g.jsonl", gsm8k_rows(10))),
        **{k: v for k, v in GSM8K_SPEC.items() if k != "shuffle"},
        "calculator_notes": "strip",
    }
    plan["stages"] = [
        {
            "name": "s",
            "kind": "sft",
            "init": {"model": "m"},
            "config": {
                "data": [{"dataset": "train", "weight": 0.75}, {"dataset": "gsm", "weight": 0.25}],
                "steps": 5,
                "lr": 5e-3,
                "batch_size": 4,
                "max_len": 48,
            },
        }
    ]
    plan["evals"] = {}
    path = write_plan(tmp_path, plan)
    assert run(str(path), str(tmp_path / "full")) == EXIT_OK
    stop, echo = stop_after(2)
    assert run(str(path), str(tmp_path / "split"), echo=echo, stop=stop) == EXIT_STOPPED
    assert run(str(path), str(tmp_path / "split"), resume=True) == EXIT_OK
    full, split = read_events(tmp_path / "full"), read_events(tmp_path / "split")
    assert len(metric_series(full, "s", "loss")) == 5
    assert metric_series(split, "s", "loss") == metric_series(full, "s", "loss")


# ---- bad data ---------------------------------------------------------------------------------------------


def test_a_bad_row_30_is_found_with_its_line_before_any_shuffle(tmp_path):
    rows = gsm8k_rows(40)
    rows[29]["answer"] = None
    lines = [json.dumps(r) for r in rows]
    lines.insert(10, "")  # a blank line: row 30 now sits on line 31
    (tmp_path / "g.jsonl").write_text("\n".join(lines) + "\n")
    spec = {**GSM8K_SPEC, "source": str(tmp_path / "g.jsonl"), "shuffle": True, "limit": 8}
    with pytest.raises(data.DataError, match=r"g\.jsonl:31\): completion column 'answer' is null"):
        load_rows("g", spec, seed=0)
    issues, count, n = check_rows("g", spec)
    assert n == 40 and count == 1
    assert [(i.line, i.row, i.column) for i in issues] == [(31, 30, "answer")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "answer column 'gold' is null"),
        ("", "answer column 'gold' is empty"),
        ("   ", "answer column 'gold' is empty"),
        ("Because.\n#### ", "answer column 'gold' has nothing after '####'"),
        (["72"], "answer column 'gold' holds list, not text"),
    ],
)
def test_null_empty_and_non_text_answers_are_errors(tmp_path, value, message):
    rows = [{"q": "a", "gold": "1"}, {"q": "b", "gold": value}]
    src = str(write_jsonl(tmp_path / "d.jsonl", rows))
    with pytest.raises(data.DataError, match=rf"d\.jsonl:2\): {message}"):
        load_rows("d", {"source": src, "prompt": "q", "answer": "gold"}, 0)


def test_a_missing_answer_key_and_a_null_completion_are_errors_not_the_string_none(tmp_path):
    src = str(write_jsonl(tmp_path / "d.jsonl", [{"q": "a", "c": "x"}, {"q": "b"}]))
    issues, _, _ = check_rows("d", {"source": src, "prompt": "q", "completion": "c"})
    assert [(i.line, i.message) for i in issues] == [(2, "completion column 'c' is null or missing")]


def test_a_missing_column_lists_the_columns_that_exist(tmp_path):
    src = str(write_parquet(tmp_path / "d.parquet", gsm8k_rows(3)))
    with pytest.raises(
        data.DataError, match=r"no column 'solution' for completion \(columns: question, answer\)"
    ):
        load_rows("d", {"source": src, "prompt": "question", "completion": "solution"}, 0)
    issues, _, _ = check_rows("d", {"source": src, "prompt": "question", "completion": "solution"})
    assert issues[0].column == "solution" and issues[0].columns == ["question", "answer"]


def test_non_utf8_and_malformed_lines_name_file_line_and_column(tmp_path):
    good = json.dumps({"prompt": "a"}).encode()
    (tmp_path / "latin1.jsonl").write_bytes(good + b"\n" + b'{"prompt": "caf\xe9"}\n')
    with pytest.raises(data.DataError, match=r"latin1\.jsonl:2:16: not valid UTF-8 \(byte 0xe9\)"):
        load_rows("d", {"source": str(tmp_path / "latin1.jsonl")}, 0)
    (tmp_path / "latin1.csv").write_bytes(b"prompt,answer\nx,1\ny,caf\xe9\n")
    with pytest.raises(data.DataError, match=r"latin1\.csv:3:6: not valid UTF-8"):
        load_rows("d", {"source": str(tmp_path / "latin1.csv"), "answer": "answer"}, 0)
    # (A line that is not JSON at all: test_engine_data.test_errors_name_the_file_row_and_field.)
    (tmp_path / "list.jsonl").write_text('{"prompt": "x"}\n[1, 2]\n')
    with pytest.raises(data.DataError, match=r"list\.jsonl:2: a jsonl line must be a JSON object"):
        load_rows("d", {"source": str(tmp_path / "list.jsonl")}, 0)
    for name, text in (("empty.jsonl", "\n"), ("empty.csv", "prompt,answer\n"), ("empty.json", "[]")):
        (tmp_path / name).write_text(text)
        with pytest.raises(data.DataError, match=rf"{name}: has no rows"):
            load_rows("d", {"source": str(tmp_path / name)}, 0)
    # A csv cell left empty is an empty answer (not NaN, not "nan"); quoted cells may span lines.
    (tmp_path / "d.csv").write_text('prompt,answer\n"two\nlines",1\nz,\n')
    with pytest.raises(data.DataError, match=r"d\.csv:4\): answer column 'answer' is empty"):
        load_rows("d", {"source": str(tmp_path / "d.csv"), "answer": "answer"}, 0)


# ---- the engine's check-data command and the hub cache, as processes -------------------------------------


def check_data(plan: Path, hf_home: Path, *extra: str) -> tuple[int, dict, str]:
    env = {**engine_env(), "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "srlm_engine", "check-data", "--plan", str(plan), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


SFT_ON_GSM8K = {"name": "s", "kind": "sft", "init": {"model": "m"}, "config": {"data": "gsm8k"}}


def test_check_data_reads_gsm8k_from_the_hub_cache_offline_and_names_bad_rows(tmp_path):
    hf_home = tmp_path / "hf"
    build_hub_cache(hf_home, {"train": gsm8k_rows(30), "test": gsm8k_rows(7, 100)})
    bad = gsm8k_rows(40)
    bad[29]["answer"] = ""
    plan = {
        "schema_version": 1,
        "pipeline": "p",
        "settings": {"seed": 1},
        "models": {"m": {"source": "Qwen/Qwen2.5-0.5B-Instruct"}},
        "datasets": {
            "gsm8k": {"source": "openai/gsm8k", "subset": "main", "split": "test", **GSM8K_SPEC},
            "val": {
                "source": "openai/gsm8k",
                "subset": "main",
                "holdout": 0.2,
                "part": "holdout",
                **GSM8K_SPEC,
            },
            "bad": {"source": str(write_jsonl(tmp_path / "bad.jsonl", bad)), **GSM8K_SPEC},
            "arith": {"builtin": "arithmetic", "split": "validation"},
            "arith_dev": {"builtin": "arithmetic", "split": "dev"},
        },
        "stages": [SFT_ON_GSM8K],
        "evals": {},
    }
    path = write_plan(tmp_path, plan)
    rc, out, err = check_data(path, hf_home)
    assert rc == 1, err
    by_name = {d["name"]: d for d in out["datasets"]}
    assert by_name["gsm8k"] == {**by_name["gsm8k"], "rows": 7, "errors": 0, "source": "openai/gsm8k"}
    assert by_name["val"]["rows"] == 30 and by_name["bad"]["errors"] == 1
    assert by_name["arith"]["errors"] == 0 and by_name["arith_dev"]["errors"] == 1
    assert out["errors"] == 2 and not out["ok"]
    first = out["diagnostics"][0]
    assert first == {
        "severity": "error",
        "dataset": "bad",
        "source": str(tmp_path / "bad.jsonl"),
        "file": str(tmp_path / "bad.jsonl"),
        "line": 30,
        "row": 30,
        "column": "answer",
        "message": "completion column 'answer' is empty",
    }
    assert "no split 'dev'" in out["diagnostics"][-1]["message"]
    rc, out, _ = check_data(path, hf_home, "--dataset", "gsm8k", "--dataset", "val")
    assert rc == 0 and out["ok"] and out["errors"] == 0
    rc, _, err = check_data(path, hf_home, "--dataset", "nope")
    assert rc == 2 and "no dataset nope" in err
    # The same layout without the card: the subset is the config folder.
    bare = tmp_path / "bare"
    build_hub_cache(bare, {"train": gsm8k_rows(4)}, readme=False)
    rc, out, _ = check_data(path, bare, "--dataset", "gsm8k")
    assert rc == 1 and "no split 'test' (splits: train)" in out["diagnostics"][0]["message"]


def test_check_data_says_what_to_do_when_a_hub_dataset_is_not_cached_offline(tmp_path):
    plan = {
        "schema_version": 1,
        "pipeline": "p",
        "settings": {},
        "models": {"m": {"source": "Qwen/Qwen2.5-0.5B-Instruct"}},
        "datasets": {"gsm8k": {"source": "openai/gsm8k", "subset": "main", **GSM8K_SPEC}},
        "stages": [SFT_ON_GSM8K],
        "evals": {},
    }
    rc, out, _ = check_data(write_plan(tmp_path, plan), tmp_path / "empty-hf")
    assert rc == 1
    (diag,) = out["diagnostics"]
    assert diag["dataset"] == "gsm8k" and "srlm pull" in diag["message"] and "offline" in diag["message"]
    assert check_data(tmp_path / "nope.json", tmp_path)[0] == 2


def test_a_run_reads_a_hub_dataset_from_the_cache(tmp_path):
    """The training path, not only the check: an eval of a tiny model on GSM8K's test split from the hub cache."""
    hf_home = tmp_path / "hf"
    build_hub_cache(hf_home, {"test": gsm8k_rows(3)})
    model = tiny_model_dir(tmp_path, "m")
    plan = base_plan({"m": model}, [])
    plan["datasets"]["gsm8k"] = {"source": "openai/gsm8k", "subset": "main", "split": "test", **GSM8K_SPEC}
    plan["stages"] = [
        {
            "name": "s",
            "kind": "sft",
            "init": {"model": "m"},
            "config": {"data": "gsm8k", "steps": 1, "batch_size": 2, "max_len": 48},
        }
    ]
    plan["evals"] = {"e": {"data": "gsm8k", "metrics": ["accuracy"], "max_new_tokens": 4}}
    path = write_plan(tmp_path, plan)
    env = {**engine_env(), "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "srlm_engine", "run", "--plan", str(path), "--run-dir", str(tmp_path / "r")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    evals = [e for e in read_events(tmp_path / "r") if e["type"] == "eval"]
    assert evals and evals[-1]["n"] == 3
    assert os.listdir(hf_home / "hub")  # read from the cache that was built, nothing else


def test_a_resolved_commit_is_what_is_read_even_when_main_moved(tmp_path):
    """Preflight pins `resolved_revision`: the engine reads that snapshot, not the one `refs/main` names later."""
    hf_home = tmp_path / "hf"
    old = build_hub_cache(hf_home, {"test": gsm8k_rows(3)})
    newer = old.parent / ("b" * 40)
    write_parquet(newer / "main" / "test-00000-of-00001.parquet", gsm8k_rows(5))
    (hf_home / "hub" / "datasets--openai--gsm8k" / "refs" / "main").write_text("b" * 40)
    spec = {"source": "openai/gsm8k", "subset": "main", "split": "test", **GSM8K_SPEC}
    plan = {
        "schema_version": 1,
        "pipeline": "p",
        "settings": {"seed": 1},
        "models": {"m": {"source": "Qwen/Qwen2.5-0.5B-Instruct"}},
        "datasets": {"moving": spec, "pinned": {**spec, "resolved_revision": GSM8K_COMMIT}},
        "stages": [{**SFT_ON_GSM8K, "config": {**SFT_ON_GSM8K["config"], "data": "moving"}}],
        "evals": {},
    }
    # The engine reads the hub cache in its own process, as a run does (huggingface_hub fixes HF_HOME at import).
    rc, out, err = check_data(write_plan(tmp_path, plan), hf_home)
    assert rc == 0, err
    assert {d["name"]: d["rows"] for d in out["datasets"]} == {"moving": 5, "pinned": 3}


def test_the_plan_checks_every_part_of_a_mix(tmp_path):
    from srlm_engine.plan import PlanError, validate

    model = tiny_model_dir(tmp_path, "m")
    plan = base_plan({"m": model}, [])
    mix = [{"dataset": "train", "weight": 0.5}, {"dataset": "nope", "weight": 0.5}]
    plan["stages"] = [{"name": "s", "kind": "sft", "init": {"model": "m"}, "config": {"data": mix}}]
    with pytest.raises(PlanError, match=r"config\.data: unknown dataset 'nope'"):
        validate(plan)
    plan["datasets"]["prompts"] = {"source": "openai/gsm8k", "prompt": "question"}
    mix = [{"dataset": "train", "weight": 0.5}, {"dataset": "prompts", "weight": 0.5}]
    plan["stages"] = [{"name": "r", "kind": "rl", "init": {"model": "m"}, "config": {"data": mix}}]
    with pytest.raises(PlanError, match="dataset 'prompts' has no `answer` field"):
        validate(plan)
    plan["stages"][0]["config"]["data"] = [{"dataset": "train", "weight": 0}]
    with pytest.raises(PlanError, match="weight"):
        validate(plan)
