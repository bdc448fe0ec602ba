"""Where a plan's model lives: a local folder or a hub id. Light on purpose (no torch), so `pull` starts fast."""

from __future__ import annotations

from pathlib import Path


class ModelLoadError(RuntimeError):
    pass


# A model source that names a folder of `assets.MODELS_DIR` (the language checker knows the same prefix).
BUILTIN_PREFIX = "builtin:"


def looks_local(source: str) -> bool:
    """Hub ids are `name` or `org/name`; anything else (a path, a `builtin:` model) is not fetched from the hub."""
    return source.startswith((".", "/", "~", BUILTIN_PREFIX)) or source.count("/") > 1


def resolve_source(source: str, what: str = "model") -> tuple[str, bool]:
    """(path or hub id, is_local). Raises when a local-looking path is missing.

    ``builtin:NAME`` names a model folder shipped inside this package (``assets.model_dir``), so a pipeline that
    uses the embedded models runs from any folder, without a checkout of the repository.
    """
    if source.startswith(BUILTIN_PREFIX):
        from . import assets

        try:
            return str(assets.model_dir(source[len(BUILTIN_PREFIX) :])), True
        except ValueError as e:
            raise ModelLoadError(f"{what} '{source}': {e}") from e
    p = Path(source).expanduser()
    if p.is_dir():
        return str(p), True
    if looks_local(source):
        raise ModelLoadError(f"{what} folder not found: {source}")
    return source, False
