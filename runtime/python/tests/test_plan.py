import copy
import json

import pytest
from engine_helpers import base_plan

from srlm_engine.plan import PlanError, from_partial, load, validate
from srlm_engine.plan_types import DataPart, DatasetSpec, KdConfig, KdLoss, LoraConfig, RlConfig, SftConfig


def _plan():
    return base_plan(
        {"m": "/nonexistent/m"},
        [
            {"name": "a", "kind": "sft", "init": {"model": "m"}, "config": {"data": "train", "steps": 2}},
            {
                "name": "b",
                "kind": "rl",
                "init": {"stage": "a"},
                "config": {"data": "train", "algorithm": "dapo"},
            },
            {"name": "c", "kind": "kd", "init": {"model": "m"}, "config": {"data": "train", "teacher": "a"}},
        ],
        evals={"t": {"data": "test"}},
    )


def test_defaults_come_from_the_schema_and_algorithm():
    plan = validate(_plan())
    a, b, c = plan.stages
    assert a.config.lr == 2e-5 and a.config.scheduler == "cosine" and a.config.lora is None
    assert a.config.warmup == 0.03  # the schema's default (the engine once fell back to 0.0 on its own)
    assert b.config.lr == 1e-6
    # dapo sets epsilon_high 0.28 and its own aggregation; batch_size 0 means one group of 8 samples.
    assert isinstance(b.config, RlConfig)
    assert b.config.epsilon_high == 0.28 and b.config.loss_agg == "dapo"
    assert b.config.batch_size == 8 and b.config.scale_rewards is True
    assert isinstance(c.config, KdConfig) and c.config.loss == KdLoss(name="jsd", beta=0.5)
    assert plan.evals["t"].metrics == ["accuracy"]
    assert c.teacher_ref is not None and c.teacher_ref.kind == "stage" and b.init_ref.kind == "stage"
    assert plan.evals_for("b") == ["t"]


def test_the_plan_is_built_into_typed_objects():
    p = _plan()
    p["stages"][0]["config"].update(lora={"rank": 4}, data=[{"dataset": "train", "weight": 1}])
    a, _, c = validate(p).stages
    assert isinstance(a.config, SftConfig)
    # A nested block gets its own class, its absent fields the schema's defaults.
    assert a.config.lora == LoraConfig(
        rank=4, alpha=32, dropout=0.05, targets=["q_proj", "k_proj", "v_proj", "o_proj"]
    )
    assert a.config.data == [DataPart(dataset="train", weight=1)]
    assert c.config.data == "train" and c.teacher_ref is not None and c.teacher_ref.name == "a"


def test_a_block_written_in_part_takes_the_schema_defaults():
    ds = from_partial(DatasetSpec, {"path": "/data/x.jsonl", "answer": "gold"})
    # `path` is the former name of `source`; everything absent is the schema's default.
    assert ds.source == "/data/x.jsonl" and ds.answer == "gold"
    assert (ds.split, ds.prompt, ds.shuffle, ds.limit, ds.format) == ("train", "prompt", True, None, "auto")
    assert from_partial(KdConfig, {"data": "d", "teacher": "t"}).loss == KdLoss(name="jsd", beta=0.5)


def test_dr_grpo_does_not_scale_rewards():
    p = _plan()
    p["stages"][1]["config"]["algorithm"] = "dr_grpo"
    cfg = validate(p).stages[1].config
    assert isinstance(cfg, RlConfig)
    assert cfg.scale_rewards is False and cfg.epsilon_high == 0.2 and cfg.loss_agg == "dr_grpo"


@pytest.mark.parametrize(
    "given, expected",
    [
        ({}, 4),  # absent: the schema's default 0, resolved to group
        ({"batch_size": 0}, 4),
        ({"batch_size": 6}, 6),  # explicit values divide 3 x 4 = 12 and are kept
        ({"batch_size": 12}, 12),
    ],
)
def test_rl_batch_size_zero_means_one_group_and_explicit_values_are_kept(given, expected):
    p = _plan()
    p["stages"][1]["config"].update(prompts_per_step=3, group=4, **given)
    assert validate(p).stages[1].config.batch_size == expected


def test_rl_explicit_batch_size_keeps_its_divisibility_check():
    p = _plan()
    p["stages"][1]["config"].update(prompts_per_step=3, group=4, batch_size=8)
    with pytest.raises(
        PlanError, match=r"config\.batch_size: 8 does not divide prompts_per_step x group = 12"
    ):
        validate(p)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda p: p.update(schema_version=2), "schema_version 2 is not supported"),
        (lambda p: p["stages"][0]["config"].update(lr=-1), "stages[0].config.lr"),
        (lambda p: p["stages"][0]["config"].update(bogus=1), "'bogus' was unexpected"),
        (lambda p: p["stages"][0]["config"].update(data="nope"), "unknown dataset 'nope'"),
        (lambda p: p["stages"][2]["config"].update(teacher="zzz"), "'zzz' is neither a model nor a stage"),
        (lambda p: p["stages"][0].update(init={"stage": "b"}), "runs after this stage"),
        (lambda p: p["stages"][1]["config"].update(batch_size=5), "does not divide"),
        (lambda p: p["datasets"]["train"].update(path="/x.jsonl"), "datasets.train"),
        (lambda p: p["evals"]["t"].update(metrics=["pass@0"]), "evals.t.metrics[0]"),
    ],
)
def test_bad_plans_are_refused_with_the_field_named(mutate, message):
    p = copy.deepcopy(_plan())
    mutate(p)
    with pytest.raises(PlanError) as e:
        validate(p, "plan.json")
    assert message in str(e.value)
    assert str(e.value).startswith("plan.json")


def test_load_reports_bad_json_with_position(tmp_path):
    f = tmp_path / "plan.json"
    f.write_text('{"schema_version": 1,,}')
    with pytest.raises(PlanError, match=r"plan.json: not valid JSON \(line 1"):
        load(f)
    f.write_text(json.dumps(_plan()))
    assert load(f).path == f
