"""Datasets: reading rows from files or builtin tasks, chat templating, completion-only masks and batches.

A row is normalised to `{"prompt", "completion", "answer"}` strings (completion/answer may be None), whatever
the file's field names were. Tokenisation keeps prompt and completion ids apart, so the loss mask is exact
(no re-tokenising the joined text and guessing the boundary).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import torch


class DataError(ValueError):
    pass


def _read_file(path: Path, fmt: str) -> list[dict]:
    if fmt == "auto":
        fmt = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}.get(
            path.suffix.lower(), ""
        )
        if not fmt:
            raise DataError(f"{path}: cannot tell the format from the extension; set `format`")
    if not path.is_file():
        raise DataError(f"{path}: dataset file not found")
    if fmt == "jsonl":
        rows = []
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise DataError(f"{path}:{i}: not valid JSON ({e.msg})") from None
        return rows
    if fmt == "json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):  # {"data": [...]} / {"train": [...]} style wrappers
            lists = [v for v in data.values() if isinstance(v, list)]
            if len(lists) != 1:
                raise DataError(f"{path}: expected a list of rows or an object holding exactly one list")
            data = lists[0]
        return list(data)
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DataError(f"{path}: reading parquet needs `pyarrow`, which is not installed") from None
        return pq.read_table(path).to_pylist()
    raise DataError(f"{path}: unknown format {fmt!r}")


def _builtin_rows(spec: dict, seed: int) -> list[dict]:
    if spec["builtin"] != "arithmetic":
        raise DataError(f"unknown builtin dataset {spec['builtin']!r}")
    from .tasks import arithmetic

    split = spec.get("split", "train")
    return arithmetic.generate(split=split, n=spec.get("limit") or arithmetic.DEFAULT_SIZES[split], seed=seed)


def load_rows(name: str, spec: dict, seed: int) -> list[dict]:
    """Rows of a plan dataset, normalised to prompt/completion/answer strings."""
    if spec.get("builtin"):
        rows = [dict(r) for r in _builtin_rows(spec, seed)]
        keys = {"prompt": "prompt", "completion": "completion", "answer": "answer"}
    else:
        path = Path(spec["path"])
        rows = _read_file(path, spec.get("format", "auto"))
        keys = {
            "prompt": spec.get("prompt") or "prompt",
            "completion": spec.get("completion"),
            "answer": spec.get("answer"),
        }
    where = spec.get("path") or f"builtin {spec.get('builtin')}"
    if spec.get("shuffle", True) and not spec.get("builtin"):
        random.Random(seed).shuffle(rows)
    if spec.get("limit"):
        rows = rows[: int(spec["limit"])]
    out = []
    msg_key = spec.get("messages")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DataError(f"{where}: row {i + 1} is not an object")
        if msg_key:
            msgs = row.get(msg_key)
            if not isinstance(msgs, list) or not msgs or msgs[-1].get("role") != "assistant":
                raise DataError(
                    f"dataset {name} ({where}) row {i + 1}: field '{msg_key}' must be a list of messages ending with an assistant turn"
                )
            out.append(
                {"messages": msgs[:-1], "prompt": None, "completion": msgs[-1]["content"], "answer": None}
            )
            continue
        if keys["prompt"] not in row:
            raise DataError(
                f"dataset {name} ({where}) row {i + 1}: no field '{keys['prompt']}' (fields: {', '.join(row)})"
            )
        item = {"prompt": str(row[keys["prompt"]]), "completion": None, "answer": None}
        for k in ("completion", "answer"):
            if keys[k]:
                if keys[k] not in row:
                    raise DataError(
                        f"dataset {name} ({where}) row {i + 1}: no field '{keys[k]}' (fields: {', '.join(row)})"
                    )
                item[k] = str(row[keys[k]])
        out.append(item)
    if not out:
        raise DataError(f"dataset {name} ({where}) has no rows")
    if spec.get("system"):
        for r in out:
            r["system"] = spec["system"]
    return out


def prompt_text(tokenizer, row: dict, chat_template: bool) -> str:
    """The text a model sees before its answer: the chat template with a generation prompt when asked."""
    if chat_template and getattr(tokenizer, "chat_template", None):
        msgs = list(row.get("messages") or [])
        if not msgs:
            if row.get("system"):
                msgs.append({"role": "system", "content": row["system"]})
            msgs.append({"role": "user", "content": row["prompt"]})
        return tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    if row.get("messages"):
        return "\n".join(m["content"] for m in row["messages"]) + "\n"
    return (row["system"] + "\n" if row.get("system") else "") + row["prompt"]


@dataclass
class Example:
    ids: list[int]
    mask: list[int]  # 1 = token counts in the loss
    prompt_len: int
    segments: tuple[int, ...] = ()  # lengths of the examples packed into this row (empty: one example)


def encode_example(tokenizer, row: dict, max_len: int, chat_template: bool, completion_only: bool) -> Example:
    p = tokenizer(prompt_text(tokenizer, row, chat_template), add_special_tokens=False)["input_ids"]
    c = tokenizer(row["completion"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    # Over-long rows lose the end of the completion, never the prompt: a truncated prompt would train the
    # model to answer a question it was not asked.
    c = c[: max(0, max_len - len(p))]
    ids = p + c
    mask = ([0] * len(p) if completion_only else [1] * len(p)) + [1] * len(c)
    return Example(ids[:max_len], mask[:max_len], len(p))


def encode_prompts(tokenizer, rows: list[dict], chat_template: bool) -> list[list[int]]:
    return [
        tokenizer(prompt_text(tokenizer, r, chat_template), add_special_tokens=False)["input_ids"]
        for r in rows
    ]


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    # A generator seeded by (seed, epoch) makes the data position a pure function of the step, which is what
    # lets a resumed run see exactly the batches it would have seen.
    g = torch.Generator().manual_seed(seed * 1000003 + epoch)
    return torch.randperm(n, generator=g).tolist()


def pack(examples: list[Example], max_len: int) -> list[Example]:
    """Concatenate examples into rows of at most max_len tokens (greedy, in order), each example kept apart.

    A packed row records its examples' lengths (`segments`); `collate` turns them into position ids that
    restart at 0 for every example and a segment id per token, from which `packing.model_inputs` confines
    each token's attention to its own example (a block-diagonal causal mask, or flash-attention's varlen path).
    The first token of every example leaves the loss mask: unpacked, a row's first token is never a target,
    and packed it must not become the target of the previous example's last token. Each packed example thus
    has exactly the loss it would have alone.
    """
    out: list[Example] = []
    ids: list[int] = []
    mask: list[int] = []
    segs: list[int] = []
    for ex in examples:
        if ids and len(ids) + len(ex.ids) > max_len:
            out.append(Example(ids, mask, 0, tuple(segs)))
            ids, mask, segs = [], [], []
        ids, mask = ids + ex.ids, mask + ([0] + ex.mask[1:] if ex.mask else [])
        segs.append(len(ex.ids))
    if ids:
        out.append(Example(ids, mask, 0, tuple(segs)))
    return out


def make_batches(
    examples: list[Example], batch_size: int, seed: int, epoch: int, group_by_length: bool = True
) -> list[list[Example]]:
    order = epoch_order(len(examples), seed, epoch)
    if group_by_length:
        # Sort inside windows of 16 batches: padding shrinks, yet batch composition still varies per epoch.
        window = batch_size * 16
        order = [
            i
            for start in range(0, len(order), window)
            for i in sorted(order[start : start + window], key=lambda j: len(examples[j].ids))
        ]
    batches = [[examples[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)]
    random.Random(seed * 7919 + epoch).shuffle(batches)
    return batches


def collate(batch: list[Example], pad_id: int, device) -> dict[str, torch.Tensor]:
    """Right-padded tensors: input_ids, attention_mask, loss_mask; for packed rows also position_ids (restarting
    at 0 for every example) and segment_ids (the example each token belongs to; the padding tail is a segment
    of its own, which no real token can attend to since it comes after them)."""
    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    loss = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.ids)
        ids[i, :n] = torch.tensor(e.ids)
        att[i, :n] = 1
        loss[i, :n] = torch.tensor(e.mask)
    out = {"input_ids": ids, "attention_mask": att, "loss_mask": loss}
    if any(e.segments for e in batch):
        pos = torch.zeros((len(batch), width), dtype=torch.long)
        seg = torch.zeros((len(batch), width), dtype=torch.long)
        for i, e in enumerate(batch):
            lengths = list(e.segments or (len(e.ids),))
            if width > len(e.ids):
                lengths.append(width - len(e.ids))
            pos[i] = torch.cat([torch.arange(n) for n in lengths])
            seg[i] = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
        out.update(position_ids=pos, segment_ids=seg)
    return {k: v.to(device) for k, v in out.items()}


def left_pad(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded prompts for generation (decoder-only models continue from the right edge)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, width - len(s) :] = torch.tensor(s)
        att[i, width - len(s) :] = 1
    return ids.to(device), att.to(device)
