"""Datasets: reading rows (dataset_rows, datasets_io), chat templating, completion-only masks and batches.

A row is normalised to `{"prompt", "completion", "answer"}` strings (completion/answer may be None), whatever
the file's field names were (dataset_rows.py). Tokenisation keeps prompt and completion ids apart, so the loss
mask is exact (no re-tokenising the joined text and guessing the boundary).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .dataset_rows import load_rows as load_rows
from .dataset_rows import mix_rows as mix_rows
from .datasets_io import DataError as DataError


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
    """Concatenate examples into rows of at most max_len tokens (greedy, in order).

    Attention is not blocked between packed examples (the classic packing of TRL's ConstantLengthDataset);
    position ids restart per example so each keeps its own positions.
    """
    out, ids, mask = [], [], []
    for ex in examples:
        if ids and len(ids) + len(ex.ids) > max_len:
            out.append(Example(ids, mask, 0))
            ids, mask = [], []
        ids, mask = ids + ex.ids, mask + ex.mask
    if ids:
        out.append(Example(ids, mask, 0))
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
    """Right-padded tensors: input_ids, attention_mask, loss_mask."""
    width = max(len(e.ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), width), dtype=torch.long)
    loss = torch.zeros((len(batch), width), dtype=torch.long)
    for i, e in enumerate(batch):
        n = len(e.ids)
        ids[i, :n] = torch.tensor(e.ids)
        att[i, :n] = 1
        loss[i, :n] = torch.tensor(e.mask)
    return {"input_ids": ids.to(device), "attention_mask": att.to(device), "loss_mask": loss.to(device)}


def left_pad(seqs: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded prompts for generation (decoder-only models continue from the right edge)."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, width - len(s) :] = torch.tensor(s)
        att[i, width - len(s) :] = 1
    return ids.to(device), att.to(device)
