"""`builtin:NAME` model sources resolve to the folders shipped in the package, from any working directory."""

from __future__ import annotations

import pytest
import torch

from srlm_engine import assets, models


def test_builtin_source_resolves_to_the_package_folder():
    path, local = models.resolve_source("builtin:tiny-student")
    assert local is True
    assert path == str(assets.model_dir("tiny-student"))


def test_unknown_builtin_names_the_known_ones():
    with pytest.raises(models.ModelLoadError, match=r"builtin:tiny-giant.*tiny-teacher, tiny-student"):
        models.resolve_source("builtin:tiny-giant")


def test_builtin_model_and_tokenizer_load_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = {"source": "builtin:tiny-student", "weights": "random"}
    model = models.load_model(spec, torch.device("cpu"), seed=1)
    tok = models.load_tokenizer(spec["source"])
    assert model.config.vocab_size == 384
    assert tok.decode(tok("12+3")["input_ids"]) == "12+3"
