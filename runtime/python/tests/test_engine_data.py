"""Dataset rows from files and builtin tasks, completion-only masks, and errors that name file and field."""

import json

import pytest
from engine_helpers import load_rows, tiny_model_dir

from srlm_engine import data, models


def test_jsonl_json_csv_rows_are_normalised(tmp_path):
    rows = [
        {
            "q": f"Compute {i} + 1.",
            "a": f"<think>{i} + 1 = {i + 1}.</think> \\boxed{{{i + 1}}}",
            "g": str(i + 1),
        }
        for i in range(5)
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "d.json").write_text(json.dumps({"data": rows}))
    (tmp_path / "d.csv").write_text(
        "q,a,g\n" + "\n".join(f'"{r["q"]}","{r["a"]}",{r["g"]}' for r in rows) + "\n"
    )
    for name in ("d.jsonl", "d.json", "d.csv"):
        spec = {
            "path": str(tmp_path / name),
            "prompt": "q",
            "completion": "a",
            "answer": "g",
            "shuffle": False,
            "limit": 3,
        }
        got = load_rows("d", spec, seed=0)
        assert got == [{"prompt": r["q"], "completion": r["a"], "answer": r["g"]} for r in rows[:3]], name


def test_errors_name_the_file_row_and_field(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"prompt": "x"}\n{oops\n')
    with pytest.raises(data.DataError, match=r"bad.jsonl:2:2: not valid JSON"):
        load_rows("d", {"path": str(tmp_path / "bad.jsonl")}, 0)
    (tmp_path / "d.jsonl").write_text('{"prompt": "x"}\n')
    with pytest.raises(data.DataError, match=r"dataset d \(.*d.jsonl\): no column 'solution' for completion"):
        load_rows("d", {"path": str(tmp_path / "d.jsonl"), "completion": "solution"}, 0)
    with pytest.raises(data.DataError, match="dataset file or folder not found"):
        load_rows("d", {"path": str(tmp_path / "none.jsonl")}, 0)


def test_builtin_split_and_completion_only_mask(tmp_path):
    train = load_rows("t", {"builtin": "arithmetic", "split": "train", "limit": 50}, seed=3)
    test = load_rows("t", {"builtin": "arithmetic", "split": "test", "limit": 20}, seed=3)
    assert len(train) == 50 and len(test) == 20
    assert not {r["prompt"] for r in train} & {r["prompt"] for r in test}
    tok = models.load_tokenizer(str(tiny_model_dir(tmp_path)))
    ex = data.encode_example(tok, train[0], 96, chat_template=True, completion_only=True)
    prompt = data.prompt_text(tok, train[0], True)
    assert prompt.startswith("<|im_start|>user\n") and prompt.endswith("<|im_start|>assistant\n")
    assert ex.mask[: ex.prompt_len] == [0] * ex.prompt_len and all(ex.mask[ex.prompt_len :])
    assert ex.ids[-1] == tok.eos_token_id
    assert tok.decode(ex.ids[ex.prompt_len : -1]) == train[0]["completion"]
    short = data.encode_example(tok, train[0], ex.prompt_len + 3, True, True)
    assert short.ids[: ex.prompt_len] == ex.ids[: ex.prompt_len] and len(short.ids) == ex.prompt_len + 3


def test_batches_are_a_function_of_seed_and_epoch(tmp_path):
    tok = models.load_tokenizer(str(tiny_model_dir(tmp_path)))
    rows = load_rows("t", {"builtin": "arithmetic", "split": "train", "limit": 40}, seed=1)
    ex = [data.encode_example(tok, r, 96, True, True) for r in rows]
    a, b = data.make_batches(ex, 8, 5, 0), data.make_batches(ex, 8, 5, 0)
    assert [[e.ids for e in x] for x in a] == [[e.ids for e in x] for x in b]
    assert [[e.ids for e in x] for x in a] != [[e.ids for e in x] for x in data.make_batches(ex, 8, 5, 1)]
    packed = data.pack(ex, 96)
    assert sum(len(p.ids) for p in packed) == sum(len(e.ids) for e in ex) and all(
        len(p.ids) <= 96 for p in packed
    )
