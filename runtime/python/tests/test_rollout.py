"""Rollout backends. vLLM cannot be installed on the test machines, so the vLLM adapter is driven through a fake
`vllm` module that implements only the documented API the adapter uses and records every call: the real vLLM
path is not exercised here."""

from __future__ import annotations

import copy
import sys
import types

import pytest
import torch
from engine_helpers import assert_events_valid, base_plan, read_events, tiny_model_dir, write_plan

from srlm_engine import models, rollout
from srlm_engine.generation import generate
from srlm_engine.plan_types import LoraConfig
from srlm_engine.run import EXIT_OK, run

EOS = 2  # the tiny tokenizer's EOS id


# ---------------------------------------------------------------------------------------------- fake vLLM
class FakeSamplingParams:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


def fake_tokens_prompt(*, prompt_token_ids):
    # vllm.TokensPrompt is a TypedDict: calling it builds a plain dict.
    return {"prompt_token_ids": prompt_token_ids}


class FakeRunnerModel:
    def __init__(self):
        self.loads: list[dict[str, torch.Tensor]] = []

    def load_weights(self, weights):
        self.loads.append({name: t.detach().clone() for name, t in weights})


class FakeLLMNoReset:
    """An LLM without `reset_prefix_cache` (older vLLM); FakeLLM below adds it."""

    instances: list[FakeLLMNoReset] = []
    # Per prompt: a list of (index, token_ids, finish_reason); None samples random ids like a policy would.
    script = None

    def __init__(self, model, **kwargs):
        self.model_path, self.kwargs = model, kwargs
        self.generate_calls: list[tuple[list, list]] = []
        self.resets = 0
        self.runner_model = FakeRunnerModel()
        self.llm_engine = types.SimpleNamespace(
            model_executor=types.SimpleNamespace(
                driver_worker=types.SimpleNamespace(
                    model_runner=types.SimpleNamespace(model=self.runner_model)
                )
            )
        )
        FakeLLM.instances.append(self)

    def generate(self, prompts, sampling_params=None, *, use_tqdm=True):
        self.generate_calls.append((prompts, sampling_params))
        outs = []
        for i, (p, sp) in enumerate(zip(prompts, sampling_params, strict=True)):
            if FakeLLM.script is not None:
                rows = FakeLLM.script[i]
            else:
                g = torch.Generator().manual_seed(sp.kwargs["seed"])
                rows = []
                for k in range(sp.kwargs["n"]):
                    ids = torch.randint(3, 300, (sp.kwargs["max_tokens"],), generator=g).tolist()
                    rows.append((k, ids, "length"))
            samples = [types.SimpleNamespace(index=k, token_ids=ids, finish_reason=fr) for k, ids, fr in rows]
            outs.append(types.SimpleNamespace(prompt_token_ids=p["prompt_token_ids"], outputs=samples))
        return outs


class FakeLLM(FakeLLMNoReset):
    def reset_prefix_cache(self):
        self.resets += 1


class FakeWorker:
    def __init__(self, model):
        self.model = model

    def get_model(self):
        return self.model


class RpcOnlyLLM(FakeLLM):
    """A vLLM whose model lives in worker processes: reachable through collective_rpc only."""

    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        del self.llm_engine
        self.rpc_calls = 0

    def collective_rpc(self, method, timeout=None, args=(), kwargs=None):
        self.rpc_calls += 1
        return [method(FakeWorker(self.runner_model), *args, **(kwargs or {}))]


class BareLLM(FakeLLM):
    def __init__(self, model, **kwargs):
        super().__init__(model, **kwargs)
        del self.llm_engine


def fake_vllm(llm_cls=FakeLLM) -> types.ModuleType:
    mod = types.ModuleType("vllm")
    mod.__version__ = "0.0.fake"
    mod.LLM = llm_cls
    mod.SamplingParams = FakeSamplingParams
    mod.TokensPrompt = fake_tokens_prompt
    return mod


@pytest.fixture(autouse=True)
def _reset_fake(monkeypatch):
    # setenv then delenv: whatever the adapter sets in os.environ is undone when the test ends.
    for var in ("VLLM_ENABLE_V1_MULTIPROCESSING", "SRLM_VLLM_GPU_MEMORY"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    FakeLLM.instances.clear()
    FakeLLM.script = None
    yield
    FakeLLM.instances.clear()
    FakeLLM.script = None


# ---------------------------------------------------------------------------------------------- helpers
def _policy(tmp_path, lora=None):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    d = tiny_model_dir(tmp_path, "m")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(d))
    tok = AutoTokenizer.from_pretrained(d)
    if lora:
        model = models.apply_lora(model, lora)
        with torch.no_grad():
            # lora_B starts at zero; a non-zero B makes the merged weights differ from the base ones.
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.copy_(torch.randn_like(p) * 0.1)
    return model, tok


def _select_vllm(model, tok, **kw):
    """`select_backend` for `rollout = vllm` on a device that claims CUDA; `kw` adds or overrides arguments."""
    args = {"seed": 7, "max_model_len": lambda: 40, "hf_batch_size": 8, "is_cuda": lambda d: True, **kw}
    return rollout.select_backend("vllm", model, tok, torch.device("cpu"), **args)


def _vllm_backend(model, tok, llm_cls=FakeLLM, **kw):
    backend, why = _select_vllm(model, tok, load_vllm=lambda: fake_vllm(llm_cls), **kw)
    assert why is None and isinstance(backend, rollout.VLLMRollout)
    return backend


def _expected_hf_state(model) -> dict[str, torch.Tensor]:
    if hasattr(model, "peft_config"):
        return copy.deepcopy(model).merge_and_unload().state_dict()
    return model.state_dict()


# ---------------------------------------------------------------------------------------------- vLLM adapter
def test_vllm_engine_is_built_from_a_folder_with_the_policy(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok)
    (llm,) = FakeLLM.instances
    assert llm.model_path == str(backend.folder)
    assert llm.kwargs == {
        "tokenizer": str(backend.folder),
        "dtype": "bfloat16",
        "gpu_memory_utilization": 0.3,
        "enable_prefix_caching": True,
        "seed": 7,
        "max_model_len": 40,
    }
    # The engine core must stay in this process for the weights to be reachable.
    assert rollout.os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0"
    from safetensors.torch import load_file

    saved = load_file(str(backend.folder / "model.safetensors"))
    state = model.state_dict()
    # Tied lm_head / embed_tokens: one copy, as save_pretrained writes it.
    assert set(saved) == set(state) - {"lm_head.weight"}
    for name, t in saved.items():
        assert t.dtype == torch.bfloat16
        assert torch.equal(t, state[name].to(torch.bfloat16)), name
    assert (backend.folder / "config.json").is_file() and (backend.folder / "tokenizer_config.json").is_file()
    # vLLM would add the generation config's EOS ids and sampling defaults; the hf backend uses neither.
    assert not (backend.folder / "generation_config.json").exists()
    folder = backend.folder
    backend.close()
    assert not folder.exists()


def test_gpu_memory_share_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SRLM_VLLM_GPU_MEMORY", "0.45")
    model, tok = _policy(tmp_path)
    _vllm_backend(model, tok)
    assert FakeLLM.instances[0].kwargs["gpu_memory_utilization"] == 0.45
    monkeypatch.setenv("SRLM_VLLM_GPU_MEMORY", "1.5")
    with pytest.raises(ValueError, match="SRLM_VLLM_GPU_MEMORY"):
        _vllm_backend(model, tok)


def test_vllm_generate_maps_sampling_and_converts_outputs(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok)
    FakeLLM.script = [
        # Returned out of index order: completions must come back in sample order.
        [(1, [11, 12, 13, 14], "length"), (0, [5, 6, EOS], "stop"), (2, [EOS], "stop")],
        [(0, [20, 21, 22, 23], "length"), (1, [30, EOS], "stop"), (2, [40, 41, 42, 43], "length")],
    ]
    prompts = [[4, 5, 6], [7, 8]]
    comps = backend.generate(prompts, 4, 0.7, 0.9, 3, seed=123)
    (llm,) = FakeLLM.instances
    ((sent, params),) = llm.generate_calls
    assert sent == [{"prompt_token_ids": [4, 5, 6]}, {"prompt_token_ids": [7, 8]}]
    assert len(params) == 2
    for sp in params:
        kw = dict(sp.kwargs)
        seed = kw.pop("seed")
        assert isinstance(seed, int) and 0 <= seed < 2**31
        assert kw == {
            "n": 3,
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": 4,
            "logprobs": None,
            "detokenize": False,
        }
    seeds = [sp.kwargs["seed"] for sp in params]
    # One seed per prompt (identical prompts in a batch must not share samples), a function of the call's seed.
    assert len(set(seeds)) == 2
    backend.generate(prompts, 4, 0.7, 0.9, 3, seed=123)
    backend.generate(prompts, 4, 0.7, 0.9, 3, seed=124)
    assert [sp.kwargs["seed"] for sp in llm.generate_calls[1][1]] == seeds
    assert [sp.kwargs["seed"] for sp in llm.generate_calls[2][1]] != seeds

    expected = [
        ([5, 6, EOS], False),
        ([11, 12, 13, 14], True),
        ([EOS], False),
        ([20, 21, 22, 23], True),
        ([30, EOS], False),
        ([40, 41, 42, 43], True),
    ]
    assert [(c.ids, c.truncated) for c in comps] == expected
    assert [c.text for c in comps] == [tok.decode(ids, skip_special_tokens=True) for ids, _ in expected]


def test_vllm_generate_refuses_an_incomplete_answer(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok)
    FakeLLM.script = [[(0, [5, EOS], "stop")]]
    with pytest.raises(RuntimeError, match="expected 2"):
        backend.generate([[4]], 4, 1.0, 1.0, 2)
    FakeLLM.script = [[(0, [5], "abort")]]
    with pytest.raises(RuntimeError, match="abort"):
        backend.generate([[4]], 4, 1.0, 1.0, 1)


def _assert_pushed_hf_weights(pushed: dict[str, torch.Tensor], model) -> None:
    expected = _expected_hf_state(model)
    assert set(pushed) == set(expected)
    for name in pushed:
        assert not name.startswith("base_model.model.") and "lora_" not in name and "base_layer" not in name
        assert torch.allclose(pushed[name].float(), expected[name].float(), atol=1e-6, rtol=0), name


def test_sync_pushes_every_weight_under_its_hf_name_when_the_step_changed(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok)
    (llm,) = FakeLLM.instances
    backend.sync_weights(model, version=0)  # the engine was built from these weights
    assert llm.runner_model.loads == [] and llm.resets == 0
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01)
    backend.sync_weights(model, version=1)
    backend.sync_weights(model, version=1)
    assert len(llm.runner_model.loads) == 1
    _assert_pushed_hf_weights(llm.runner_model.loads[0], model)
    # KV blocks cached under the old weights must not serve the new policy.
    assert llm.resets == 1
    backend.sync_weights(model)  # no version: always
    assert len(llm.runner_model.loads) == 2 and llm.resets == 2


def test_sync_of_a_lora_policy_pushes_merged_weights_and_leaves_the_base_untouched(tmp_path):
    lora = LoraConfig(rank=4, alpha=8, dropout=0.0, targets=["q_proj", "v_proj"])
    model, tok = _policy(tmp_path, lora)
    base_before = {k: v.clone() for k, v in model.state_dict().items() if "base_layer" in k}
    backend = _vllm_backend(model, tok)
    (llm,) = FakeLLM.instances
    backend.sync_weights(model, version=3)
    (pushed,) = llm.runner_model.loads
    _assert_pushed_hf_weights(pushed, model)
    q = "model.layers.0.self_attn.q_proj.weight"
    base_q = model.state_dict()["base_model.model." + q.replace(".weight", ".base_layer.weight")]
    assert not torch.allclose(pushed[q], base_q)  # the adapter's delta is in
    assert all(torch.equal(model.state_dict()[k], v) for k, v in base_before.items())
    # The folder vLLM starts from holds the merged policy too.
    from safetensors.torch import load_file

    saved = load_file(str(backend.folder / "model.safetensors"))
    assert torch.equal(saved[q], pushed[q].to(torch.bfloat16))
    assert not any("lora_" in k or k.startswith("base_model") for k in saved)


def test_sync_through_collective_rpc_when_the_model_is_in_worker_processes(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok, RpcOnlyLLM)
    (llm,) = FakeLLM.instances
    backend.sync_weights(model, version=1)
    assert llm.rpc_calls == 1 and llm.resets == 1
    (pushed,) = llm.runner_model.loads
    _assert_pushed_hf_weights(pushed, model)
    assert all(t.device.type == "cpu" for t in pushed.values())


def test_sync_without_a_known_weight_path_is_a_clear_error(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok, BareLLM)
    with pytest.raises(RuntimeError, match="cannot push weights into vLLM 0.0.fake"):
        backend.sync_weights(model, version=1)


def test_prefix_caching_stays_off_where_the_cache_cannot_be_reset(tmp_path):
    model, tok = _policy(tmp_path)
    backend = _vllm_backend(model, tok, FakeLLMNoReset)
    (llm,) = FakeLLM.instances
    assert llm.kwargs["enable_prefix_caching"] is False
    backend.sync_weights(model, version=1)
    assert len(llm.runner_model.loads) == 1


# ---------------------------------------------------------------------------------------------- hf backend
def test_hf_backend_gives_what_generation_generate_gives(tmp_path):
    model, tok = _policy(tmp_path)
    backend, why = rollout.select_backend(
        "hf", model, tok, torch.device("cpu"), seed=7, max_model_len=lambda: 0, hf_batch_size=4
    )
    assert why is None and backend.name == "hf"
    prompts = [[4, 5, 6], [7, 8]]
    torch.manual_seed(3)
    got = backend.generate(prompts, 6, 0.9, 0.95, 3, seed=1)
    torch.manual_seed(3)
    want = generate(model, tok, prompts, 6, temperature=0.9, top_p=0.95, num_return_sequences=3, batch_size=4)
    assert got == want and len(got) == 6
    backend.sync_weights(model, version=5)  # the policy itself: nothing to do


# ---------------------------------------------------------------------------------------------- fallback
def test_vllm_on_cpu_falls_back_to_hf_and_says_why(tmp_path):
    model, tok = _policy(tmp_path)
    loaded = []
    # The real device check: the CPU is not CUDA.
    backend, why = _select_vllm(
        model, tok, is_cuda=rollout.is_cuda_device, load_vllm=lambda: loaded.append(1) or fake_vllm()
    )
    assert backend.name == "hf" and "CUDA" in why and "cpu" in why
    assert loaded == [] and FakeLLM.instances == []


def test_vllm_not_importable_falls_back_with_the_import_error(tmp_path, monkeypatch):
    model, tok = _policy(tmp_path)
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    backend, why = _select_vllm(model, tok)
    assert backend.name == "hf"
    assert "cannot be imported" in why and "vllm" in why.split("(", 1)[1]


def test_vllm_with_several_processes_falls_back(tmp_path):
    model, tok = _policy(tmp_path)
    backend, why = _select_vllm(
        model,
        tok,
        world_size=2,
        load_vllm=fake_vllm,
    )
    assert backend.name == "hf" and "2 processes" in why


# ---------------------------------------------------------------------------------------------- RL stage
def _rl_plan(tmp_path, steps, lora=None):
    (tmp_path / "rewards.py").write_text(
        "def digits(completions, answers, prompts, **kw):\n"
        "    return [sum(ch.isdigit() for ch in c) / max(1, len(c)) for c in completions]\n"
    )
    model = tiny_model_dir(tmp_path, "m")
    config = {
        "data": "train",
        "steps": steps,
        "lr": 1e-2,
        "prompts_per_step": 2,
        "group": 4,
        "batch_size": 8,
        "max_new_tokens": 6,
        "kl": 0.0,
        "warmup": 0.0,
        "scheduler": "constant",
        "rollout": "vllm",
        "reward": [{"fn": "digits", "weight": 1.0}],
        "reward_file": str(tmp_path / "rewards.py"),
    }
    if lora:
        config["lora"] = lora
    stage = {"name": "rl", "kind": "rl", "init": {"model": "m"}, "config": config}
    return write_plan(tmp_path, base_plan({"m": model}, [stage], n_train=16, n_test=4))


def test_rl_stage_with_rollout_vllm_on_cpu_warns_and_trains_with_hf(tmp_path):
    assert run(str(_rl_plan(tmp_path, 1)), str(tmp_path / "run")) == EXIT_OK
    events = read_events(tmp_path / "run")
    assert_events_valid(events)
    (w,) = [e for e in events if e["type"] == "warning" and e.get("code") == "rollout_fallback"]
    assert w["stage"] == "rl" and "CUDA" in w["message"] and "transformers" in w["message"]
    assert [e for e in events if e["type"] == "metrics"]


def test_rl_stage_samples_through_vllm_and_syncs_after_each_step(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", fake_vllm())
    monkeypatch.setattr(rollout, "is_cuda_device", lambda d: True)
    lora = {"rank": 4, "alpha": 8, "dropout": 0.0, "targets": ["q_proj", "v_proj"]}
    assert run(str(_rl_plan(tmp_path, 3, lora)), str(tmp_path / "run")) == EXIT_OK
    events = read_events(tmp_path / "run")
    assert_events_valid(events)
    assert not [e for e in events if e["type"] == "warning" and e.get("code") == "rollout_fallback"]
    (llm,) = FakeLLM.instances
    assert len(llm.generate_calls) == 3
    prompts, params = llm.generate_calls[0]
    assert len(prompts) == 2 and all(sp.kwargs["n"] == 4 and sp.kwargs["max_tokens"] == 6 for sp in params)
    # Steps 1 and 2 changed the policy before rollouts 2 and 3; the first rollout used the built-in weights.
    assert len(llm.runner_model.loads) == 2 and llm.resets == 2
    first, second = llm.runner_model.loads
    assert not any("lora_" in k or k.startswith("base_model") for k in first)
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(first[q], second[q])  # the adapter trained between the syncs
    metrics = [e["metrics"] for e in events if e["type"] == "metrics"]
    assert metrics[0]["truncation_rate"] == 1.0  # the fake samples max_tokens ids without EOS
