"""The plan as typed objects — GENERATED from the language schema by server/src/core/schema/planTypes.ts
(through plan.schema.json); do not edit. Regenerate with `npx tsx server/src/core/schema/planTypes.ts`.

Each class mirrors one object of plan.schema.json. They carry no defaults: plan.py fills absent fields from the
schema before `from_json`, so every field that has a default (or is required) is present, and a field without
one is None when absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")


def _opt(conv: Callable[[Any], _T], value: Any) -> _T | None:
    return None if value is None else conv(value)


@dataclass
class Ref:
    """A resolved reference: a model of `models` or an earlier stage."""

    kind: Literal["model", "stage"]
    name: str


@dataclass
class Settings:
    """The `settings` of the pipeline block."""

    seed: int
    output: str
    device: Literal["auto", "cpu", "cuda", "mps"]
    precision: Literal["auto", "fp32", "bf16", "fp16"]
    sharding: Literal["none", "fsdp"]
    processes: int
    cpu_threads: int | None
    gpu_memory: float | None
    system: str | None
    report_to: list[Literal["tensorboard", "wandb", "mlflow"]]
    project: str | None
    run_name: str | None
    tags: list[str]
    tracking_uri: str | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Settings:
        return cls(
            seed=d["seed"],
            output=d["output"],
            device=d["device"],
            precision=d["precision"],
            sharding=d["sharding"],
            processes=d["processes"],
            cpu_threads=d["cpu_threads"],
            gpu_memory=d["gpu_memory"],
            system=d["system"],
            report_to=list(d["report_to"]),
            project=d["project"],
            run_name=d["run_name"],
            tags=list(d["tags"]),
            tracking_uri=d["tracking_uri"],
        )


@dataclass
class ModelSpec:
    """A model: a Hugging Face hub id or a local folder in Hugging Face layout."""

    source: str
    revision: str
    dtype: Literal["auto", "fp32", "bf16", "fp16"]
    attn: Literal["sdpa", "eager", "flash_attention_2"]
    weights: Literal["pretrained", "random"]
    tokenizer: str | None
    template: str | None
    thinking: bool | None
    config_sha256: str | None
    resolved_revision: str | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ModelSpec:
        return cls(
            source=d["source"],
            revision=d["revision"],
            dtype=d["dtype"],
            attn=d["attn"],
            weights=d["weights"],
            tokenizer=d["tokenizer"],
            template=d["template"],
            thinking=d["thinking"],
            config_sha256=d["config_sha256"],
            resolved_revision=d["resolved_revision"],
        )


@dataclass
class DatasetSpec:
    """A dataset: a hub dataset, a local file or folder (read through Hugging Face `datasets`), or a built-in generated task. Exactly one of `source` and `builtin`. Guide: docs/data.md."""

    source: str | None
    builtin: Literal["arithmetic"] | None
    level: Literal["easy", "medium", "hard"] | None
    answer_noise: float
    subset: str | None
    split: str
    revision: str
    format: Literal["auto", "jsonl", "json", "csv", "parquet", "arrow"]
    prompt: str
    completion: str | None
    answer: str | None
    messages: str | None
    reasoning: str | None
    calculator_notes: Literal["keep", "strip"]
    final_answer: Literal["keep", "boxed"]
    system: str | None
    template: str | None
    limit: int | None
    shuffle: bool
    holdout: float | None
    part: Literal["rest", "holdout"]
    sha256: str | None
    resolved_revision: str | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DatasetSpec:
        return cls(
            source=d["source"],
            builtin=d["builtin"],
            level=d["level"],
            answer_noise=d["answer_noise"],
            subset=d["subset"],
            split=d["split"],
            revision=d["revision"],
            format=d["format"],
            prompt=d["prompt"],
            completion=d["completion"],
            answer=d["answer"],
            messages=d["messages"],
            reasoning=d["reasoning"],
            calculator_notes=d["calculator_notes"],
            final_answer=d["final_answer"],
            system=d["system"],
            template=d["template"],
            limit=d["limit"],
            shuffle=d["shuffle"],
            holdout=d["holdout"],
            part=d["part"],
            sha256=d["sha256"],
            resolved_revision=d["resolved_revision"],
        )


@dataclass
class EvalSpec:
    """Evaluation on a dataset with an answer column, after stages and optionally during them."""

    data: str
    stages: list[str] | None
    every: int
    metrics: list[str]
    max_new_tokens: int
    temperature: float
    top_p: float
    limit: int | None
    samples: int
    before: bool

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> EvalSpec:
        return cls(
            data=d["data"],
            stages=_opt(list, d["stages"]),
            every=d["every"],
            metrics=list(d["metrics"]),
            max_new_tokens=d["max_new_tokens"],
            temperature=d["temperature"],
            top_p=d["top_p"],
            limit=d["limit"],
            samples=d["samples"],
            before=d["before"],
        )


@dataclass
class SftConfig:
    """Supervised fine-tuning: token cross-entropy on completions (prompt tokens masked). Full or LoRA."""

    init: str | dict[str, str] | None
    data: str | list[DataPart]
    epochs: float
    steps: int | None
    lr: float
    batch_size: int
    grad_accum: int
    max_len: int
    warmup: float
    scheduler: Literal["cosine", "linear", "constant"]
    weight_decay: float
    max_grad_norm: float
    grad_checkpointing: bool
    save_every: int
    keep_last: int
    export_onnx: Literal["none", "final", "all"]
    log_every: int
    chat_template: bool
    packing: bool
    completion_only: bool
    lora: LoraConfig | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SftConfig:
        return cls(
            init=d.get("init"),
            data=d["data"] if isinstance(d["data"], str) else [DataPart.from_json(x) for x in d["data"]],
            epochs=d["epochs"],
            steps=d["steps"],
            lr=d["lr"],
            batch_size=d["batch_size"],
            grad_accum=d["grad_accum"],
            max_len=d["max_len"],
            warmup=d["warmup"],
            scheduler=d["scheduler"],
            weight_decay=d["weight_decay"],
            max_grad_norm=d["max_grad_norm"],
            grad_checkpointing=d["grad_checkpointing"],
            save_every=d["save_every"],
            keep_last=d["keep_last"],
            export_onnx=d["export_onnx"],
            log_every=d["log_every"],
            chat_template=d["chat_template"],
            packing=d["packing"],
            completion_only=d["completion_only"],
            lora=_opt(LoraConfig.from_json, d["lora"]),
        )


@dataclass
class DataPart:
    """One dataset of a weighted mix; the weights of a mix sum to 1."""

    dataset: str
    weight: float

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> DataPart:
        return cls(
            dataset=d["dataset"],
            weight=d["weight"],
        )


@dataclass
class LoraConfig:
    """Train LoRA adapters instead of all weights."""

    rank: int
    alpha: float
    dropout: float
    targets: list[str]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LoraConfig:
        return cls(
            rank=d["rank"],
            alpha=d["alpha"],
            dropout=d["dropout"],
            targets=list(d["targets"]),
        )


@dataclass
class KdConfig:
    """Knowledge distillation from a teacher; every sft field applies, plus the distillation settings."""

    init: str | dict[str, str] | None
    data: str | list[DataPart]
    epochs: float
    steps: int | None
    lr: float
    batch_size: int
    grad_accum: int
    max_len: int
    warmup: float
    scheduler: Literal["cosine", "linear", "constant"]
    weight_decay: float
    max_grad_norm: float
    grad_checkpointing: bool
    save_every: int
    keep_last: int
    export_onnx: Literal["none", "final", "all"]
    log_every: int
    chat_template: bool
    packing: bool
    completion_only: bool
    teacher: str | dict[str, str]
    loss: KdLoss
    temperature: float
    on_policy: float
    max_new_tokens: int
    lora: LoraConfig | None
    mix: KdMix | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> KdConfig:
        return cls(
            init=d.get("init"),
            data=d["data"] if isinstance(d["data"], str) else [DataPart.from_json(x) for x in d["data"]],
            epochs=d["epochs"],
            steps=d["steps"],
            lr=d["lr"],
            batch_size=d["batch_size"],
            grad_accum=d["grad_accum"],
            max_len=d["max_len"],
            warmup=d["warmup"],
            scheduler=d["scheduler"],
            weight_decay=d["weight_decay"],
            max_grad_norm=d["max_grad_norm"],
            grad_checkpointing=d["grad_checkpointing"],
            save_every=d["save_every"],
            keep_last=d["keep_last"],
            export_onnx=d["export_onnx"],
            log_every=d["log_every"],
            chat_template=d["chat_template"],
            packing=d["packing"],
            completion_only=d["completion_only"],
            teacher=d["teacher"],
            loss=KdLoss.from_json(d["loss"]),
            temperature=d["temperature"],
            on_policy=d["on_policy"],
            max_new_tokens=d["max_new_tokens"],
            lora=_opt(LoraConfig.from_json, d["lora"]),
            mix=_opt(KdMix.from_json, d["mix"]),
        )


@dataclass
class KdLoss:
    """Distillation divergence: `forward_kl`, `reverse_kl`, or `jsd(beta = B)` (generalised Jensen–Shannon, B in 0..1)."""

    name: Literal["forward_kl", "reverse_kl", "jsd"]
    beta: float | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> KdLoss:
        return cls(
            name=d["name"],
            beta=d.get("beta"),
        )


@dataclass
class KdMix:
    """Hybrid objective: loss = sft · CE + kd · KD."""

    sft: float
    kd: float

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> KdMix:
        return cls(
            sft=d["sft"],
            kd=d["kd"],
        )


@dataclass
class RlConfig:
    """Reinforcement learning with verifiable rewards (GRPO family): G samples per prompt, group-normalised advantages, clipped ratio, optional KL to a reference and KD regulariser."""

    init: str | dict[str, str] | None
    data: str | list[DataPart]
    algorithm: Literal["grpo", "dr_grpo", "dapo"]
    steps: int
    prompts_per_step: int
    group: int
    batch_size: int
    updates_per_batch: int
    lr: float
    warmup: float
    scheduler: Literal["cosine", "linear", "constant"]
    weight_decay: float
    max_grad_norm: float
    grad_checkpointing: bool
    save_every: int
    keep_last: int
    export_onnx: Literal["none", "final", "all"]
    log_every: int
    chat_template: bool
    kl: float
    epsilon: float
    epsilon_high: float | None
    loss_agg: Literal["grpo", "bnpo", "dr_grpo", "dapo"] | None
    scale_rewards: bool | None
    dynamic_sampling: bool
    max_resample: int
    overlong_filter: bool
    overlong_buffer: int
    overlong_penalty: float
    reward: list[RewardTerm]
    reward_file: str | None
    reward_timeout: float
    temperature: float
    top_p: float
    max_new_tokens: int
    rollout: Literal["hf", "static", "paged", "vllm"]
    lora: LoraConfig | None
    kd: RlKd | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RlConfig:
        return cls(
            init=d.get("init"),
            data=d["data"] if isinstance(d["data"], str) else [DataPart.from_json(x) for x in d["data"]],
            algorithm=d["algorithm"],
            steps=d["steps"],
            prompts_per_step=d["prompts_per_step"],
            group=d["group"],
            batch_size=d["batch_size"],
            updates_per_batch=d["updates_per_batch"],
            lr=d["lr"],
            warmup=d["warmup"],
            scheduler=d["scheduler"],
            weight_decay=d["weight_decay"],
            max_grad_norm=d["max_grad_norm"],
            grad_checkpointing=d["grad_checkpointing"],
            save_every=d["save_every"],
            keep_last=d["keep_last"],
            export_onnx=d["export_onnx"],
            log_every=d["log_every"],
            chat_template=d["chat_template"],
            kl=d["kl"],
            epsilon=d["epsilon"],
            epsilon_high=d["epsilon_high"],
            loss_agg=d["loss_agg"],
            scale_rewards=d["scale_rewards"],
            dynamic_sampling=d["dynamic_sampling"],
            max_resample=d["max_resample"],
            overlong_filter=d["overlong_filter"],
            overlong_buffer=d["overlong_buffer"],
            overlong_penalty=d["overlong_penalty"],
            reward=[RewardTerm.from_json(x) for x in d["reward"]],
            reward_file=d["reward_file"],
            reward_timeout=d["reward_timeout"],
            temperature=d["temperature"],
            top_p=d["top_p"],
            max_new_tokens=d["max_new_tokens"],
            rollout=d["rollout"],
            lora=_opt(LoraConfig.from_json, d["lora"]),
            kd=_opt(RlKd.from_json, d["kd"]),
        )


@dataclass
class RewardTerm:
    """One weighted function of a reward sum, with its keyword arguments."""

    fn: str
    weight: float
    args: dict[str, float | str | bool] | None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RewardTerm:
        return cls(
            fn=d["fn"],
            weight=d["weight"],
            args=_opt(dict, d.get("args")),
        )


@dataclass
class RlKd:
    """KD regulariser inside an rl stage: adds weight · KD(teacher ‖ policy) to the RL loss."""

    teacher: str | dict[str, str]
    weight: float
    loss: KdLoss
    temperature: float

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RlKd:
        return cls(
            teacher=d["teacher"],
            weight=d["weight"],
            loss=KdLoss.from_json(d["loss"]),
            temperature=d["temperature"],
        )


StageConfig = SftConfig | KdConfig | RlConfig
"""The config of a stage of any kind."""


@dataclass
class Stage:
    """A stage of the pipeline: its config and what surrounds it."""

    name: str
    kind: Literal["sft", "kd", "rl"]
    hash: str | None
    parent: str | None
    init: dict[str, str]
    evals: list[str]
    source_range: dict[str, Any] | None
    reuse: str | None
    config: StageConfig
    # Resolved by plan.py from `init` and the teacher of the config (KD, or the `kd` block of RL).
    init_ref: Ref = field(init=False)
    teacher_ref: Ref | None = field(init=False, default=None)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Stage:
        return cls(
            name=d["name"],
            kind=d["kind"],
            hash=d.get("hash"),
            parent=d.get("parent"),
            init=d["init"],
            evals=list(d["evals"]),
            source_range=_opt(dict, d.get("source_range")),
            reuse=d["reuse"],
            config={"sft": SftConfig, "kd": KdConfig, "rl": RlConfig}[d["kind"]].from_json(d["config"]),
        )
