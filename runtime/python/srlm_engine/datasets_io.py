"""Opening a dataset block's source through Hugging Face `datasets`, every row traceable to its file and line.

A source is a hub dataset id (`openai/gsm8k`, with `subset`, `split` and `revision`), a local data file
(jsonl, json, csv, parquet, arrow), a folder of data files laid out as hub repos are (`main/train-00000-of-00001
.parquet`, `data/train-*.parquet`, with or without a README that declares configs), or a `save_to_disk` folder.

Hub ids are looked up in the `huggingface_hub` cache first (what `srlm pull` and `snapshot_download` fill), so
an offline machine reads a pulled dataset with the same code that reads a local folder; `datasets`' own
`load_dataset` path (download, or its prepared cache when offline) is the fallback.

Text files are scanned once before `datasets` parses them: strict UTF-8 and, for jsonl, one JSON object per
line, so a bad byte or line is reported as `file:line:column` (pyarrow replaces bad bytes silently and reports
JSON errors by block), and so each row's line is known for the row checks of `dataset_rows`.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .plan_types import DatasetSpec

FORMATS = ("jsonl", "json", "csv", "parquet", "arrow")
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".arrow": "arrow",
}
# `datasets`' packaged builder for each format.
BUILDERS = {"jsonl": "json", "json": "json", "csv": "csv", "parquet": "parquet", "arrow": "arrow"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


class DataError(ValueError):
    """A dataset that cannot be read; the message names the dataset, the file and, where known, the line."""


@dataclass
class Location:
    file: str | None
    line: int | None  # 1-based line in a text file
    row: int  # 1-based row within `file` (or within the split when the file is unknown)


@dataclass
class Table:
    """A split as a `datasets.Dataset`, with where each of its rows came from."""

    dataset: Any  # datasets.Dataset (imported on first use: it takes seconds)
    source: str
    files: list[str] = field(default_factory=list)
    # Row offset of each file in `dataset`; empty when the files are unknown (a split built remotely).
    offsets: list[int] = field(default_factory=list)
    # Per text file: the line each of its rows starts on.
    lines: dict[str, array] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.dataset.column_names)

    def __len__(self) -> int:
        return self.dataset.num_rows

    def locate(self, index: int) -> Location:
        """Where row `index` (0-based, in file order, before any shuffle) was read from."""
        if not self.offsets:
            return Location(None, None, index + 1)
        k = bisect_right(self.offsets, index) - 1
        f = self.files[k]
        row = index - self.offsets[k]
        ln = self.lines.get(f)
        return Location(f, int(ln[row]) if ln is not None and row < len(ln) else None, row + 1)


def source_of(spec: DatasetSpec) -> str:
    """The spec's `source` ("" for a builtin dataset); plan.py maps the former name `path` to it."""
    return spec.source or ""


def is_hub_id(source: str) -> bool:
    return bool(_HUB_ID.match(source)) and Path(source).suffix.lower() not in EXTENSIONS


def _quiet_datasets():
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


def open_table(spec: DatasetSpec) -> Table:
    """The split a dataset block names, opened through `datasets`; raises DataError naming what is wrong."""
    source = source_of(spec)
    if not source:
        raise DataError("a dataset needs `source` (a hub id, file or folder) or `builtin`")
    p = Path(source).expanduser()
    if p.is_file():
        return _open_files([p], _format_of(p, spec.format), source)
    if p.is_dir():
        if (p / "state.json").is_file() or (p / "dataset_dict.json").is_file():
            return _open_saved(p, spec.split, source)
        return _open_folder(p, spec, source)
    if p.is_absolute() or not is_hub_id(source):
        raise DataError(f"{source}: dataset file or folder not found")
    return _open_hub(source, spec)


def _format_of(path: Path, declared: str) -> str:
    if declared and declared != "auto":
        return declared
    fmt = EXTENSIONS.get(path.suffix.lower())
    if not fmt:
        raise DataError(
            f"{path}: cannot tell the format from the extension; set `format` ({', '.join(FORMATS)})"
        )
    return fmt


# ---- local files ------------------------------------------------------------------------------------------


def _open_files(files: list[Path], fmt: str, source: str) -> Table:
    """Data files of one format, in order, as one split."""
    datasets = _quiet_datasets()
    lines: dict[str, array] = {}
    kwargs: dict = {}
    for f in files:
        if fmt == "jsonl":
            lines[str(f)] = _scan_jsonl(f)
        elif fmt == "csv":
            lines[str(f)], header = _scan_csv(f)
            # Every cell as written: no `72` → 72.0 when a column has an empty cell, no empty cell → NaN.
            kwargs.update(
                features=datasets.Features({c: datasets.Value("string") for c in header}),
                keep_default_na=False,
            )
        elif fmt == "json":
            key = _scan_json(f)
            if key is not None:
                kwargs["field"] = key
    if lines and not any(len(v) for v in lines.values()):
        raise DataError(f"{source}: has no rows")
    try:
        builder = datasets.load_dataset_builder(
            BUILDERS[fmt], data_files={"train": [str(f) for f in files]}, **kwargs
        )
        builder.download_and_prepare()
        ds = builder.as_dataset(split="train")
    except Exception as e:  # noqa: BLE001 - any reader failure becomes one message naming the file
        raise DataError(f"{source}: cannot read as {fmt}: {_reason(e)}") from None
    return Table(ds, source, [str(f) for f in files], _offsets(ds, files, fmt, lines), lines)


def _offsets(ds, files: list[Path], fmt: str, lines: dict[str, array]) -> list[int]:
    """First row of each file, from the scans (text) or the files' own metadata (parquet, arrow)."""
    if len(files) == 1:
        return [0]
    counts = []
    for f in files:
        if str(f) in lines:
            counts.append(len(lines[str(f)]))
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            counts.append(pq.ParquetFile(f).metadata.num_rows)
        elif fmt == "arrow":
            counts.append(_arrow_rows(f))
        else:
            return []  # a multi-file json split: rows are located by position only
    if sum(counts) != ds.num_rows:
        return []
    out, total = [], 0
    for c in counts:
        out.append(total)
        total += c
    return out


def _arrow_rows(path: Path) -> int:
    import pyarrow as pa

    with pa.memory_map(str(path)) as src:
        try:
            return pa.ipc.open_file(src).read_all().num_rows
        except pa.ArrowInvalid:
            src.seek(0)
            return pa.ipc.open_stream(src).read_all().num_rows


def _decode(raw: bytes, path: Path, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}:{line}:{e.start + 1}: not valid UTF-8 (byte 0x{raw[e.start]:02x}); "
            "re-save the file as UTF-8"
        ) from None


def _decode_whole(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line_start = raw.rfind(b"\n", 0, e.start) + 1
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            f"{path}:{line}:{e.start - line_start + 1}: not valid UTF-8 (byte 0x{raw[e.start]:02x}); "
            "re-save the file as UTF-8"
        ) from None


def _scan_jsonl(path: Path) -> array:
    """Line of each row; strict UTF-8 and one JSON object per non-blank line."""
    starts = array("I")
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            text = _decode(raw, path, n)
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{n}:{e.colno}: not valid JSON ({e.msg})") from None
            if not isinstance(value, dict):
                raise DataError(
                    f"{path}:{n}: a jsonl line must be a JSON object, found {type(value).__name__}"
                )
            starts.append(n)
    return starts


def _scan_csv(path: Path) -> tuple[array, list[str]]:
    """Line each record starts on (quoted cells may span lines), and the header; strict UTF-8."""
    import csv
    import io

    with open(path, "rb") as f:
        raw = f.read()
    text = _decode_whole(raw, path)
    starts = array("I")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    prev_end = 0
    for i, record in enumerate(reader):
        start = prev_end + 1
        prev_end = reader.line_num
        if i == 0:
            header = record
        elif record:  # pandas skips blank lines too
            starts.append(start)
    return starts, header


def _scan_json(path: Path) -> str | None:
    """Checks a .json file; returns the key of the one list an object-wrapped file holds (`{"data": [...]}`)."""
    text = _decode_whole(path.read_bytes(), path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"{path}:{e.lineno}:{e.colno}: not valid JSON ({e.msg})") from None
    key = None
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if len(lists) == 1:
            key, data = lists[0], data[lists[0]]
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a list of rows or an object holding exactly one list")
    if not data:
        raise DataError(f"{path}: has no rows")
    bad = next((i for i, r in enumerate(data) if not isinstance(r, dict)), None)
    if bad is not None:
        raise DataError(f"{path}: row {bad + 1} is not a JSON object")
    return key


# ---- folders, save_to_disk, hub ---------------------------------------------------------------------------


def _open_saved(path: Path, split: str, source: str) -> Table:
    datasets = _quiet_datasets()
    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as e:  # noqa: BLE001
        raise DataError(f"{source}: cannot read the save_to_disk folder: {_reason(e)}") from None
    if isinstance(ds, datasets.DatasetDict):
        if split not in ds:
            raise DataError(f"{source}: no split '{split}' (splits: {', '.join(map(str, ds))})")
        ds = ds[split]
    return Table(ds, source)


def _open_folder(path: Path, spec: DatasetSpec, source: str) -> Table:
    """A folder in hub layout: the README's configs, or `datasets`' default split patterns."""
    datasets = _quiet_datasets()
    subset, split = spec.subset or None, spec.split
    try:
        try:
            builder = datasets.load_dataset_builder(str(path), subset)
        except ValueError:
            # A config folder without a README declaring it (`main/train-*.parquet`): read that folder.
            if not subset or not (path / subset).is_dir():
                raise
            builder = datasets.load_dataset_builder(str(path), data_dir=subset)
    except Exception as e:  # noqa: BLE001
        raise DataError(f"{source}: {_reason(e)}") from None
    files_by_split = {str(k): v for k, v in (builder.config.data_files or {}).items()}
    if split not in files_by_split:
        raise DataError(f"{source}: no split '{split}' (splits: {', '.join(files_by_split) or 'none'})")
    files = [Path(str(f)) for f in files_by_split[split]]
    fmts = {EXTENSIONS.get(f.suffix.lower()) for f in files}
    fmt = fmts.pop() if len(fmts) == 1 else None
    if fmt is not None:
        # Known data files: read them as files, so their rows keep file and line.
        return _open_files(files, fmt, source)
    try:
        builder.download_and_prepare()
        return Table(builder.as_dataset(split=split), source)
    except Exception as e:  # noqa: BLE001
        raise DataError(f"{source}: {_reason(e)}") from None


def hub_offline() -> bool:
    return any(
        os.environ.get(v, "").lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def _open_hub(repo_id: str, spec: DatasetSpec) -> Table:
    # The commit preflight resolved the revision to, when it did: a branch that moves later changes nothing.
    revision = spec.resolved_revision or spec.revision
    where = f"{repo_id}@{revision}" if revision != "main" else repo_id
    from .hub import cached_snapshot

    try:
        folder = cached_snapshot(repo_id, revision)
    except Exception:  # noqa: BLE001 - not in the hub cache (or no huggingface_hub): try `datasets`' own paths
        folder = None
    if folder is not None:
        try:
            table = _open_folder(Path(folder), spec, repo_id)
            table.source = where
            return table
        except DataError:
            # A snapshot holding only some of the repo (another subset, or just the card): online, let
            # `datasets` fetch what this split needs; offline, the snapshot's answer is the answer.
            if hub_offline():
                raise
    datasets = _quiet_datasets()
    try:
        builder = datasets.load_dataset_builder(repo_id, spec.subset or None, revision=revision)
        builder.download_and_prepare()
        ds = builder.as_dataset(split=spec.split)
    except Exception as e:  # noqa: BLE001
        hint = (
            "; the hub is offline (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE) and the dataset is not in the cache: "
            "run `srlm pull` on a machine with internet first"
            if hub_offline()
            else ""
        )
        raise DataError(f"hub dataset {where}: {_reason(e)}{hint}") from None
    return Table(ds, where)


def _reason(e: BaseException) -> str:
    # `datasets` wraps reader errors (DatasetGenerationError); the cause says what was wrong.
    while e.__cause__ is not None and type(e).__name__ == "DatasetGenerationError":
        e = e.__cause__
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text
