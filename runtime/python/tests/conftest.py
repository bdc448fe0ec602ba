"""Session set-up for every engine test: Hugging Face caches in a temporary folder, and no network.

`datasets` and `huggingface_hub` read these variables when they are first imported, so they are set here,
before any test module imports the engine. Tests that need their own hub cache run the engine as a process
with their own `HF_HOME`.
"""

import atexit
import os
import shutil
import tempfile

_HF_HOME = tempfile.mkdtemp(prefix="srlm-test-hf-")
atexit.register(shutil.rmtree, _HF_HOME, ignore_errors=True)
os.environ["HF_HOME"] = _HF_HOME
for var in ("HF_HUB_CACHE", "HF_DATASETS_CACHE", "HUGGINGFACE_HUB_CACHE"):
    os.environ.pop(var, None)
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
