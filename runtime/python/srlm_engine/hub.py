"""Hub models and datasets: resolve each revision to a commit and fetch what the cache lacks (`srlm pull`).

`python -m srlm_engine pull --plan plan.json` walks the plan's hub models and hub datasets (local folders are
skipped), fetches each through `huggingface_hub.snapshot_download` into the standard cache, and prints JSON lines
on stdout: `{"event": "resolving", ...}`, `{"event": "progress", ...}` while bytes arrive, `{"event": "resolved",
..., "commit": ...}` per repository, then one `{"event": "done", "models": {...}, "datasets": {...}}` with every
commit, or one `{"event": "error", "code": ..., "message": ...}` and exit status 1. The codes: `offline` (no
connection, or `HF_HUB_OFFLINE=1`, and not cached), `gated` (licence not accepted, or not logged in),
`unauthorized` (401/403), `not_found`, `revision_not_found`, `error`.

With `HF_HUB_OFFLINE=1` nothing is downloaded and the revision resolves from the cache's `refs/`, which is how
a compute node without internet runs what a login node pulled.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .plan import from_partial
from .plan_types import DatasetSpec, ModelSpec
from .sources import ModelLoadError, looks_local, resolve_source

# Weights in safetensors only: hub repos often carry the same weights as .bin, .pth, ONNX or GGUF too.
MODEL_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"]
# A `weights = random` model needs only its config and tokenizer.
CONFIG_FILES = ["*.json", "*.txt", "*.model", "*.jinja", "*.tiktoken"]

Emit = Callable[[dict], None]

_DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - one sink for every hidden progress bar, for the process's life


class HubError(RuntimeError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class HubItem:
    kind: str  # "model" or "dataset"
    name: str  # the block's name in the pipeline
    repo: str
    revision: str
    patterns: tuple[str, ...] | None = None


def hub_items(plan: dict) -> list[HubItem]:
    """Hub repositories a plan names: models whose source is a hub id, datasets whose source is one.

    Only the `models` and `datasets` sections are read (preflight pulls before the plan is complete), each
    block with the schema's defaults for what it leaves out."""
    items = []
    for name, written in (plan.get("models") or {}).items():
        m = from_partial(ModelSpec, written)
        try:
            source, local = resolve_source(m.source)
        except ModelLoadError:
            continue  # a missing local folder: the plan check reports it, there is nothing to pull
        if not local:
            patterns = CONFIG_FILES if m.weights == "random" else MODEL_FILES
            items.append(HubItem("model", name, source, m.revision, tuple(patterns)))
    for name, written in (plan.get("datasets") or {}).items():
        d = from_partial(DatasetSpec, written)
        if d.source is None or d.builtin:
            continue
        if Path(d.source).expanduser().exists() or looks_local(d.source):
            continue
        items.append(HubItem("dataset", name, d.source, d.revision))
    return items


def _progress_class(emit: Emit, item: HubItem):
    """A tqdm stand-in for snapshot_download that reports bytes as JSON lines (at most 4 per second)."""
    from tqdm.auto import tqdm

    class JsonProgress(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = _DEVNULL  # no terminal bar: the CLI draws its own line from these events
            kwargs.pop("disable", None)
            self._last = 0.0
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            shown = super().update(n)
            now = time.monotonic()
            if now - self._last >= 0.25 or (self.total and self.n >= self.total):
                self._last = now
                unit = getattr(self, "unit", "it")
                emit(
                    {
                        "event": "progress",
                        "kind": item.kind,
                        "name": item.name,
                        "repo": item.repo,
                        "done": self.n,
                        "total": self.total,
                        "unit": unit,
                        "what": self.desc or "",
                    }
                )
            return shown

    return JsonProgress


def _classify(item: HubItem, e: BaseException) -> HubError:
    from huggingface_hub import constants, errors

    what = f"{item.kind} {item.name} ({item.repo}@{item.revision})"
    page = f"https://huggingface.co/{'datasets/' if item.kind == 'dataset' else ''}{item.repo}"
    if isinstance(e, errors.GatedRepoError):
        return HubError(
            "gated",
            f"{what} is gated: accept its licence at {page} and log in on this machine (`hf auth login`, or set "
            "HF_TOKEN)",
        )
    if isinstance(e, errors.RevisionNotFoundError):
        return HubError("revision_not_found", f"{what}: the repository has no revision '{item.revision}'")
    if isinstance(e, errors.RepositoryNotFoundError):
        return HubError(
            "not_found",
            f"{what} was not found on the hub (check the id; a private repository also needs `hf auth login` or "
            "HF_TOKEN)",
        )
    status = getattr(getattr(e, "response", None), "status_code", None)
    if status in (401, 403):
        return HubError(
            "unauthorized",
            f"{what}: the hub refused access (HTTP {status}); log in with `hf auth login` or set HF_TOKEN",
        )
    offline = constants.HF_HUB_OFFLINE
    if isinstance(e, errors.LocalEntryNotFoundError) or offline or _is_connection_error(e):
        why = "HF_HUB_OFFLINE=1 is set" if offline else "the hub cannot be reached"
        return HubError(
            "offline",
            f"{what} is not in the Hugging Face cache ({constants.HF_HUB_CACHE}) and {why}. Run `srlm pull` for "
            "this pipeline on a machine with internet (same HF_HOME), or copy its cache here",
        )
    return HubError("error", f"{what}: {type(e).__name__}: {e}")


def _is_connection_error(error: BaseException) -> bool:
    seen = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        name = type(e).__name__
        if "Connect" in name or "Timeout" in name or isinstance(e, (ConnectionError, TimeoutError)):
            return True
        e = e.__cause__ or e.__context__
    return False


def fetch(item: HubItem, emit: Emit) -> dict:
    """Resolve and download one repository; the returned dict names the commit and the snapshot folder."""
    from huggingface_hub import snapshot_download

    emit(
        {
            "event": "resolving",
            "kind": item.kind,
            "name": item.name,
            "repo": item.repo,
            "revision": item.revision,
        }
    )
    try:
        path = snapshot_download(
            item.repo,
            repo_type=item.kind,
            revision=item.revision,
            allow_patterns=list(item.patterns) if item.patterns else None,
            tqdm_class=_progress_class(emit, item),
        )
    except Exception as e:  # noqa: BLE001 - every failure becomes one classified message
        raise _classify(item, e) from e
    out = {"repo": item.repo, "revision": item.revision, "commit": Path(path).name, "path": str(path)}
    emit({"event": "resolved", "kind": item.kind, "name": item.name, **out})
    return out


def cached_snapshot(repo: str, revision: str = "main", kind: str = "dataset", name: str = "") -> Path:
    """The cache folder of a hub repository at `revision`, with no network access: what `pull` fetched.

    For readers of hub datasets: `datasets.load_dataset(hub_id)` does not read the hub cache when offline, but
    the files of this folder (e.g. `main/train-*.parquet`) load like a local hub-layout folder. A miss raises the
    same classified HubError as `pull`."""
    from huggingface_hub import snapshot_download

    item = HubItem(kind, name or repo, repo, revision)
    try:
        return Path(snapshot_download(repo, repo_type=kind, revision=revision, local_files_only=True))
    except Exception as e:  # noqa: BLE001 - one classified message, as for pull
        raise _classify(item, e) from e


def pull(plan: dict, emit: Emit) -> dict:
    """Fetch every hub repository of a plan; `{"models": {name: ...}, "datasets": {name: ...}}`."""
    result: dict[str, dict] = {"models": {}, "datasets": {}}
    for item in hub_items(plan):
        result[f"{item.kind}s"][item.name] = fetch(item, emit)
    return result


def main(plan_path: str) -> int:
    def emit(event: dict) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    try:
        plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        emit({"event": "error", "code": "invalid_plan", "message": f"cannot read the plan {plan_path}: {e}"})
        return 2
    try:
        result = pull(plan, emit)
    except HubError as e:
        emit({"event": "error", "code": e.code, "message": e.message})
        return 1
    emit({"event": "done", **result})
    return 0
