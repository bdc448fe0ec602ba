"""Loading models and tokenizers through transformers, offline-first.

A plan names a model by a local folder or a hub id. Nothing is ever downloaded here: a hub id must already be
in the Hugging Face cache (the engine runs with `local_files_only=True`; `srlm run`'s preflight and `srlm pull`
fetch through hub.py first), and a miss is one error saying where the engine looked. A plan model's
`resolved_revision` (the commit its revision resolved to) is what gets loaded, so a branch that moves in the
cache later cannot change what a plan trains. `weights = random` builds the architecture from `config.json` with a seeded init, which is
how the embedded demo has models on a machine with no weights; `builtin:tiny-student` names those configs
inside this package (sources.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

# Where a plan's model lives, decided without importing torch (hub.py's `pull` needs only this).
from .plan_types import LoraConfig, ModelSpec
from .sources import ModelLoadError, resolve_source

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def pick_device(setting: str = "auto") -> torch.device:
    if setting == "cpu":
        return torch.device("cpu")
    if setting == "cuda" or (setting == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ModelLoadError("settings.device = cuda, but PyTorch sees no CUDA device")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        return torch.device("cuda", local)
    if setting == "mps" or (
        setting == "auto" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(name: str, device: torch.device, trainable: bool = True) -> torch.dtype:
    if name in DTYPES:
        return DTYPES[name]
    # auto: a trained model keeps fp32 master weights (bf16 weights lose small AdamW updates to rounding) and
    # computes in bf16 through autocast; a frozen teacher or reference is only read, so bf16 halves its memory.
    if not trainable and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


_AMP: dict = {"dtype": None, "device": "cpu"}


def configure_amp(precision: str, device: torch.device) -> torch.dtype | None:
    """Mixed precision for forward passes (settings.precision): fp32 weights, 16-bit compute under autocast.

    `auto` is bf16 on a CUDA GPU that supports it and fp32 elsewhere (on CPU autocast only slows the small
    models down). An explicit `bf16` or `fp16` is honoured on any device; `fp16` also turns on dynamic loss
    scaling (`needs_loss_scaling`), since fp16 gradients underflow without it."""
    dtype = None
    if precision == "fp16":
        dtype = torch.float16
    elif precision == "bf16":
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ModelLoadError(
                "settings.precision = bf16, but this GPU has no bf16 support; use fp16 (loss-scaled) or fp32"
            )
        dtype = torch.bfloat16
    elif precision == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported():
        dtype = torch.bfloat16
    _AMP.update(dtype=dtype, device=device.type)
    return dtype


def needs_loss_scaling() -> bool:
    return _AMP["dtype"] == torch.float16


def grad_scaler():
    """A dynamic loss scaler for fp16 autocast, or None. Its state goes into step checkpoints, so a resumed run
    continues with the same scale."""
    if not needs_loss_scaling():
        return None
    return torch.amp.GradScaler(_AMP["device"])


def autocast():
    import contextlib

    if _AMP["dtype"] is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=_AMP["device"], dtype=_AMP["dtype"])


def _hub_cache() -> str:
    return os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME", os.path.expanduser("~/.cache/huggingface")), "hub"
    )


def revision_of(spec: ModelSpec) -> str:
    """The revision to load: the resolved commit when the plan has one, else the written revision."""
    return spec.resolved_revision or spec.revision


def load_tokenizer(source: str, tokenizer: str | None = None, revision: str = "main"):
    from transformers import AutoTokenizer

    where = tokenizer or source
    path, local = resolve_source(where, "tokenizer")
    try:
        # A separate tokenizer folder or id has no revision of its own in the plan.
        tok = AutoTokenizer.from_pretrained(
            path, revision=revision if tokenizer is None else "main", local_files_only=True
        )
    except Exception as e:  # transformers raises OSError/ValueError variants; one clear message is what helps
        raise ModelLoadError(
            f"cannot load the tokenizer of '{where}': looked in "
            f"{path if local else 'the Hugging Face cache ' + _hub_cache()} (the engine downloads nothing; `srlm run` "
            "and `srlm pull` fetch hub models first). "
            f"Cause: {e}"
        ) from e
    if tok.pad_token is None:
        # Generation pads batches; reusing EOS as pad is the usual choice for models shipped without one.
        tok.pad_token = tok.eos_token
    return tok


def load_model(
    spec: ModelSpec,
    device: torch.device,
    seed: int,
    precision: str = "auto",
    path_override: str | None = None,
    trainable: bool = True,
):
    """Build the model named by a plan `models` entry (or a checkpoint folder via `path_override`)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    source = path_override or spec.source
    path, local = resolve_source(source)
    dtype = pick_dtype(spec.dtype, device, trainable)
    if trainable and dtype == torch.float16:
        # AdamW on fp16 weights loses most updates to rounding, and the loss scaler cannot unscale fp16
        # gradients: fp16 training means fp32 weights with fp16 compute.
        raise ModelLoadError(
            f"model '{source}': dtype = fp16 cannot be trained; keep dtype = auto (fp32 weights) and set the "
            "pipeline's precision = fp16 for fp16 compute with loss scaling"
        )
    attn = spec.attn
    if attn == "flash_attention_2":
        try:
            import flash_attn  # noqa: F401  # pyright: ignore[reportMissingImports] -- optional, CUDA only
        except ImportError:
            attn = "sdpa"
    kwargs = {"revision": revision_of(spec), "local_files_only": True}
    try:
        if spec.weights == "random" and path_override is None:
            config = AutoConfig.from_pretrained(path, **kwargs)
            # The init draws from its own seeded stream and leaves the stage's stream where it was.
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation=attn)
        else:
            model = AutoModelForCausalLM.from_pretrained(
                path, dtype=dtype, attn_implementation=attn, **kwargs
            )
    except ModelLoadError:
        raise
    except Exception as e:
        raise ModelLoadError(
            f"cannot load model '{source}': looked in {path if local else 'the Hugging Face cache ' + _hub_cache()}"
            " (the engine downloads nothing; `srlm run` and `srlm pull` fetch hub models first). "
            f"Cause: {type(e).__name__}: {e}"
        ) from e
    return model.to(device)  # pyright: ignore[reportCallIssue, reportArgumentType] -- transformers' stubs


def apply_lora(model, lora: LoraConfig):
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    cfg = PeftLoraConfig(
        r=lora.rank,
        lora_alpha=float(lora.alpha),  # pyright: ignore[reportArgumentType] -- peft says int; it divides by r
        lora_dropout=float(lora.dropout),
        target_modules=list(lora.targets),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, cfg)


def vocab_size_of(model) -> int:
    return model.get_output_embeddings().weight.shape[0]


def check_kd_vocab(student, teacher, tokenizer) -> tuple[int, str | None]:
    """Shared vocabulary width for KD logits, and a warning when the teacher only has extra padding rows.

    Qwen2.5-0.5B (151936 rows) and Qwen2.5-7B (152064 rows) share one tokenizer; the 7B's extra rows are
    padding no token id reaches, so slicing the teacher's logits to the student's width is exact. Rows that
    real tokens use (index < len(tokenizer)) must exist in both, or the two models do not share a vocabulary.
    """
    s, t = vocab_size_of(student), vocab_size_of(teacher)
    if s == t:
        return s, None
    used = len(tokenizer)
    shared = min(s, t)
    if used > shared:
        raise ModelLoadError(
            f"KD vocabulary mismatch: the student has {s} output rows and the teacher {t}, but the tokenizer "
            f"uses {used} ids; these models do not share a vocabulary and cannot be distilled token by token"
        )
    return shared, (
        f"teacher has {t} vocabulary rows and the student {s}; the extra {abs(t - s)} rows are padding beyond "
        f"the tokenizer's {used} ids, so logits are sliced to the shared {shared}"
    )


def unwrap(model):
    return getattr(model, "module", model)


def config_summary(model) -> dict:
    n = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"params": n, "trainable_params": trainable}


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
