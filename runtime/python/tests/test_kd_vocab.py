"""KD vocabulary check: extra padding rows on the teacher are sliced with a warning; a real mismatch is refused."""

import pytest
import torch
from engine_helpers import tiny_model_dir

from srlm_engine import models
from srlm_engine.plan import from_partial
from srlm_engine.plan_types import ModelSpec


def _load(d):
    return models.load_model(
        from_partial(ModelSpec, {"source": str(d), "weights": "random"}), torch.device("cpu"), 0
    )


def test_padding_rows_are_sliced_and_a_real_mismatch_is_refused(tmp_path):
    tok = models.load_tokenizer(str(tiny_model_dir(tmp_path, "s")))
    student = _load(tmp_path / "s")
    same = _load(tiny_model_dir(tmp_path, "same"))
    assert models.check_kd_vocab(student, same, tok) == (384, None)
    padded = _load(tiny_model_dir(tmp_path, "padded", vocab=448))
    shared, warning = models.check_kd_vocab(student, padded, tok)
    assert shared == 384 and "448" in warning and "sliced" in warning
    # A teacher narrower than the ids the tokenizer produces does not share the vocabulary.
    narrow = _load(tiny_model_dir(tmp_path, "narrow", vocab=len(tok) - 7))
    with pytest.raises(models.ModelLoadError, match="do not share a vocabulary"):
        models.check_kd_vocab(student, narrow, tok)


def test_a_missing_model_names_where_the_engine_looked(tmp_path):
    with pytest.raises(models.ModelLoadError, match="folder not found"):
        models.load_model(from_partial(ModelSpec, {"source": str(tmp_path / "nope")}), torch.device("cpu"), 0)
    with pytest.raises(models.ModelLoadError, match="Hugging Face cache"):
        models.load_model(
            from_partial(ModelSpec, {"source": "no-such-org/no-such-model"}), torch.device("cpu"), 0
        )
