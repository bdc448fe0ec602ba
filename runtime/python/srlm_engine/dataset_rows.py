"""A dataset block's rows: read (datasets_io), checked one by one, normalised, split into holdout parts, mixed.

A normalised row is `{"prompt", "completion", "answer"}` (completion/answer None when the block names no such
column), or `{"messages", "prompt": None, "completion", "answer"}` for chat-format rows, plus `system` when the
block sets one. What the seed's data needs is done here, without a conversion script:

- an `answer` holding a GSM8K rationale (`... #### 72`) is reduced to its final answer (`72`);
- `calculator_notes = strip` removes GSM8K's `<<48/2=24>>` notes from completions;
- `final_answer = boxed` rewrites a completion's trailing `#### N` as `\\boxed{N}`;
- `reasoning` (an R1-style trace column) makes the completion `<think>\\n{reasoning}\\n</think>\\n{completion}`.

Every row is checked (not a sample), in file order before any shuffle, so a problem is reported with the file
and line (or row) it came from: a missing column (with the columns that exist), null or empty values, values
that are not text, malformed messages.

Order of operations, all seeded by the pipeline seed and nothing else: read → check → `holdout`/`part` →
shuffle → `limit`. A weighted mix (`data = 0.7 * cot + 0.3 * r1`) is a fixed list of rows drawn from its parts
(`mix_rows`), so the stages' epoch and prompt orders stay pure functions of (seed, step).
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from .datasets_io import DataError, Table, open_table, source_of
from .plan_types import DatasetSpec

MAX_ISSUES = 20
ROLES = ("system", "user", "assistant", "tool")
_CALC_NOTE = re.compile(r"<<[^<>]*>>")
_FINAL = re.compile(r"####\s*([^\n]*?)\s*$")


@dataclass
class Issue:
    """One problem with a dataset, located as precisely as the source allows."""

    dataset: str
    source: str
    message: str
    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None
    columns: list[str] | None = None  # the columns that exist, for a missing one

    def text(self) -> str:
        where = self.file or self.source
        if self.line is not None:
            where += f":{self.line}"
        elif self.row is not None:
            where += f" row {self.row}"
        return f"dataset {self.dataset} ({where}): {self.message}"

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class RowProblem(Exception):
    def __init__(self, column: str | None, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def columns_of(spec: DatasetSpec) -> dict[str, str | None]:
    """Row field → file column, as the block maps them."""
    if spec.messages:
        cols: dict[str, str | None] = {"messages": spec.messages, "prompt": None}
    else:
        cols = {"messages": None, "prompt": spec.prompt}
    cols.update(
        completion=spec.completion or None, answer=spec.answer or None, reasoning=spec.reasoning or None
    )
    return cols


def final_answer(text: str) -> str:
    """GSM8K's answer after `####`; text without one is returned as is."""
    if "####" not in text:
        return text
    return text.rsplit("####", 1)[1].strip()


def _text(value, field: str, column: str) -> str:
    if value is None:
        raise RowProblem(column, f"{field} column '{column}' is null or missing")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise RowProblem(column, f"{field} column '{column}' holds {type(value).__name__}, not text")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.strip():
        raise RowProblem(column, f"{field} column '{column}' is empty")
    return text


def _messages(value, column: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise RowProblem(column, f"messages column '{column}' must be a non-empty list of {{role, content}}")
    out = []
    for i, m in enumerate(value, 1):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise RowProblem(
                column,
                f"messages column '{column}': message {i} must be {{role, content}} with role one of "
                f"{', '.join(ROLES)} and text content",
            )
        out.append({"role": m["role"], "content": m["content"]})
    return out


def normalise(spec: DatasetSpec, raw: dict, cols: dict[str, str | None]) -> dict:
    """One file row → a normalised row; raises RowProblem naming the column."""
    item: dict = {"prompt": None, "completion": None, "answer": None}
    if cols["messages"]:
        msgs = _messages(raw.get(cols["messages"]), cols["messages"])
        if msgs[-1]["role"] == "assistant":
            item["completion"] = msgs[-1]["content"]
            msgs = msgs[:-1]
        elif not cols["answer"]:
            raise RowProblem(
                cols["messages"], f"messages column '{cols['messages']}' must end with an assistant turn"
            )
        if not msgs:
            raise RowProblem(
                cols["messages"], f"messages column '{cols['messages']}' has no turn before the answer"
            )
        item["messages"] = msgs
    else:
        column = cols["prompt"]
        assert column is not None  # columns_of names the prompt column whenever there are no messages
        item["prompt"] = _text(raw.get(column), "prompt", column)
    if cols["completion"]:
        comp = _text(raw.get(cols["completion"]), "completion", cols["completion"])
        if spec.calculator_notes == "strip":
            comp = _CALC_NOTE.sub("", comp)
        if spec.final_answer == "boxed":
            m = _FINAL.search(comp)
            if m:
                comp = comp[: m.start()] + "\\boxed{" + m.group(1) + "}"
        if cols["reasoning"]:
            trace = _text(raw.get(cols["reasoning"]), "reasoning", cols["reasoning"]).strip()
            comp = f"<think>\n{trace}\n</think>\n{comp}"
        item["completion"] = comp
    if cols["answer"]:
        ans = final_answer(_text(raw.get(cols["answer"]), "answer", cols["answer"]))
        if not ans:
            raise RowProblem(cols["answer"], f"answer column '{cols['answer']}' has nothing after '####'")
        item["answer"] = ans
    return item


def _missing_columns(name: str, spec: DatasetSpec, table: Table) -> list[Issue]:
    present = table.columns
    out = []
    for field, col in columns_of(spec).items():
        if col and col not in present:
            out.append(
                Issue(
                    name,
                    table.source,
                    f"no column '{col}' for {field} (columns: {', '.join(present) or 'none'})",
                    column=col,
                    columns=present,
                )
            )
    return out


def _checked(name: str, spec: DatasetSpec, table: Table, issues: list[Issue]) -> Iterator[dict | None]:
    """Every row of the table in file order, normalised; None (and an issue) for a bad row."""
    cols = columns_of(spec)
    wanted = list(dict.fromkeys(c for c in cols.values() if c))
    ds = table.dataset.select_columns(wanted)
    for start in range(0, len(table), 1024):
        batch = ds[start : start + 1024]
        for i in range(len(batch[wanted[0]])):
            raw = {c: batch[c][i] for c in wanted}
            try:
                yield normalise(spec, raw, cols)
            except RowProblem as p:
                loc = table.locate(start + i)
                issues.append(
                    Issue(name, table.source, p.message, loc.file, loc.line, loc.row, column=p.column)
                )
                yield None


def _builtin_rows(spec: DatasetSpec, seed: int) -> list[dict]:
    if spec.builtin != "arithmetic":
        raise DataError(f"unknown builtin dataset {spec.builtin!r}")
    from .tasks import arithmetic

    split = spec.split
    if split not in arithmetic.DEFAULT_SIZES:
        raise DataError(
            f"builtin arithmetic has no split '{split}' (splits: {', '.join(arithmetic.DEFAULT_SIZES)})"
        )
    n = spec.limit if not spec.holdout else None
    return [
        dict(r)
        for r in arithmetic.generate(
            split=split,
            n=n or arithmetic.DEFAULT_SIZES[split],
            level=spec.level or "easy",
            seed=seed,
            answer_noise=spec.answer_noise,
        )
    ]


def describe(spec: DatasetSpec) -> str:
    return source_of(spec) or f"builtin {spec.builtin}"


def check(name: str, spec: DatasetSpec, max_issues: int = MAX_ISSUES) -> tuple[list[Issue], int, int]:
    """Reads and checks every row; (first `max_issues` issues, issue count, rows read). Never raises DataError."""
    if spec.builtin:
        # Generated rows are correct by construction; only the task and split names can be wrong.
        try:
            _builtin_rows(dataclasses.replace(spec, limit=1, holdout=None), 0)
        except (DataError, ValueError) as e:
            return [Issue(name, describe(spec), str(e))], 1, 0
        return [], 0, 0
    try:
        table = open_table(spec)
    except DataError as e:
        return [Issue(name, describe(spec), str(e))], 1, 0
    issues = _missing_columns(name, spec, table)
    if issues:
        return issues, len(issues), len(table)
    found: list[Issue] = []
    total = 0
    for item in _checked(name, spec, table, found):
        if item is None:
            total += 1
            del found[max_issues:]
    if len(table) == 0:
        found.append(Issue(name, table.source, "has no rows"))
        total = 1
    return found, total, len(table)


def holdout_indices(n: int, fraction: float, seed: int) -> set[int]:
    """The rows (of n, by original position) a `holdout` fraction carves off: at least one, never all.

    A function of (seed, n) only, so two blocks reading the same rows with the same fraction get the two
    sides of one split."""
    if n < 2:
        raise DataError(f"holdout needs at least 2 rows, found {n}")
    k = min(n - 1, max(1, round(n * fraction)))
    return set(random.Random(f"srlm-holdout/{seed}/{n}").sample(range(n), k))


def _select(spec: DatasetSpec, rows: list[dict], seed: int) -> list[dict]:
    """holdout/part, then the seeded shuffle, then limit."""
    if spec.holdout:
        held = holdout_indices(len(rows), float(spec.holdout), seed)
        keep_held = spec.part == "holdout"
        rows = [r for i, r in enumerate(rows) if (i in held) == keep_held]
    if spec.shuffle and not spec.builtin:
        random.Random(seed).shuffle(rows)
    if spec.limit:
        rows = rows[: spec.limit]
    return rows


def load_rows(name: str, spec: DatasetSpec, seed: int) -> list[dict]:
    """Rows of a plan dataset, checked and normalised; DataError with the first problem's file and line."""
    where = describe(spec)
    if spec.builtin:
        rows = _builtin_rows(spec, seed)
    else:
        try:
            table = open_table(spec)
        except DataError as e:
            raise DataError(f"dataset {name}: {e}") from None
        missing = _missing_columns(name, spec, table)
        if missing:
            raise DataError(missing[0].text())
        issues: list[Issue] = []
        rows = [r for r in _checked(name, spec, table, issues) if r is not None]
        if issues:
            more = f" (and {len(issues) - 1} more bad rows)" if len(issues) > 1 else ""
            raise DataError(issues[0].text() + more)
    rows = _select(spec, rows, seed)
    if not rows:
        raise DataError(f"dataset {name} ({where}) has no rows")
    if spec.system:
        for r in rows:
            r["system"] = spec.system
    return rows


def mix_rows(parts: list[tuple[str, list[dict], float]], seed: int) -> list[dict]:
    """A weighted mix of datasets as one fixed list of rows: part k supplies a share w_k of it.

    The list is long enough that every row of every part appears at least once (`datasets`'
    `interleave_datasets(stopping_strategy="all_exhausted")`): length = max_k ceil(n_k / w_k). Part k's rows
    are drawn through its own seeded permutations, cycling, so a part with more share than rows repeats rows
    evenly. The result depends on the seed and the parts only; consumers permute it per epoch as usual.
    """
    total_w = sum(w for _, _, w in parts)
    if total_w <= 0:
        raise DataError("a data mix needs positive weights")
    shares = [(name, rows, w / total_w) for name, rows, w in parts]
    length = max(math.ceil(len(rows) / share - 1e-9) for _, rows, share in shares)
    out: list[dict] = []
    for name, rows, share in shares:
        want = round(share * length)
        rng = random.Random(f"srlm-mix/{seed}/{name}")
        drawn = 0
        while drawn < want:
            order = list(range(len(rows)))
            rng.shuffle(order)
            for i in order[: want - drawn]:
                out.append(rows[i])
            drawn += min(len(order), want - drawn)
    return out
