"""`srlm push RUN --stage S --repo ID`: a stage's checkpoint, with its model card, to the Hugging Face Hub.

Every reason a push cannot work is found before any file is sent, each with what to do: offline mode, no
token, a token that cannot write, a repository holding a different model. The upload itself is
`huggingface_hub.upload_folder` (one commit; its progress bars go to stderr).
"""

from __future__ import annotations

import json
from pathlib import Path

from .card import CARD, write_card
from .runinfo import ResultsError, RunFolder

# Training state is for resuming, not for users of the model.
IGNORE = ["training_state.pt", ".*", "**/.*"]
# Files a freshly created Hub repository may already hold.
HUB_DEFAULT_FILES = {".gitattributes", "README.md"}


class PushError(ResultsError):
    pass


def _hub_error(e: Exception, repo: str, endpoint: str) -> PushError:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(e, OfflineModeIsEnabled):
        return PushError("the Hub is in offline mode (HF_HUB_OFFLINE=1); unset it to push")
    if isinstance(e, HfHubHTTPError) and e.response is not None:
        code = e.response.status_code
        if code == 401:
            return PushError(
                f"the Hub refused the token (401 at {endpoint}); log in again with `hf auth login`"
            )
        if code == 403:
            return PushError(
                f"no write access to {repo}: the token may be read-only or not allowed in that namespace "
                "(create a write token at https://huggingface.co/settings/tokens)"
            )
        return PushError(f"the Hub answered {code} for {repo}: {str(e).splitlines()[0]}")
    name = type(e).__name__
    if "Connect" in name or "Timeout" in name or isinstance(e, OSError):
        return PushError(f"cannot reach the Hub at {endpoint} ({name}); check the network or HF_ENDPOINT")
    return PushError(f"{name}: {e}")


def push(
    run_dir: str | Path,
    stage: str,
    repo: str,
    private: bool = False,
    revision: str | None = None,
    force: bool = False,
) -> dict:
    from huggingface_hub import HfApi, constants, get_token

    run = RunFolder.open(run_dir)
    ckpt = run.checkpoint(stage)
    meta = json.loads((ckpt / "meta.json").read_text(encoding="utf-8"))
    endpoint = constants.ENDPOINT
    if constants.HF_HUB_OFFLINE:
        raise PushError("the Hub is in offline mode (HF_HUB_OFFLINE=1); unset it to push")
    token = get_token()
    if not token:
        raise PushError("not logged in to the Hugging Face Hub: run `hf auth login` or set HF_TOKEN")
    if "/" not in repo:
        raise PushError(f"--repo must be namespace/name (e.g. you/{repo}), got '{repo}'")
    if not (ckpt / CARD).is_file():
        write_card(run.path, stage)
    api = HfApi(endpoint=endpoint, token=token)
    try:
        who = api.whoami()
        role = ((who.get("auth") or {}).get("accessToken") or {}).get("role")
        if role == "read":
            raise PushError(f"the token of {who.get('name')} is read-only; create a write token to push")
        # Not private: the namespace's default visibility (an organisation may make every repo private).
        api.create_repo(repo, private=True if private else None, exist_ok=True, repo_type="model")
        branch_exists = True
        if revision:
            refs = api.list_repo_refs(repo)
            branch_exists = any(b.name == revision for b in refs.branches)
            if not branch_exists:
                api.create_branch(repo, branch=revision, exist_ok=True)
        files = set(api.list_repo_files(repo, revision=revision)) if branch_exists else set()
        if not force and files - HUB_DEFAULT_FILES:
            same = False
            if "meta.json" in files:
                from huggingface_hub import hf_hub_download

                remote = json.loads(
                    Path(hf_hub_download(repo, "meta.json", revision=revision, token=token)).read_text()
                )
                same = (
                    remote.get("stage_hash") == meta.get("stage_hash")
                    and remote.get("stage_hash") is not None
                )
            if not same:
                where = f"{repo}@{revision}" if revision else repo
                raise PushError(
                    f"{where} already holds a different model ({len(files)} files, not this checkpoint); push to a "
                    "new repository or branch (--revision), or pass --force to add a commit over it"
                )
        info = api.upload_folder(
            repo_id=repo,
            folder_path=str(ckpt),
            revision=revision,
            ignore_patterns=IGNORE,
            commit_message=f"SRLM Studio: {run.plan.pipeline} stage {stage} (run {run.run_id})",
        )
    except PushError:
        raise
    except Exception as e:  # noqa: BLE001 — every Hub failure becomes one sentence for the user
        raise _hub_error(e, repo, endpoint) from e
    return {
        "repo": repo,
        "revision": revision or "main",
        "stage": stage,
        "checkpoint": str(ckpt),
        "commit": getattr(info, "oid", None),
        "url": getattr(info, "commit_url", None) or str(info),
    }
