"""Where a plan's model lives: a local folder or a hub id. Light on purpose (no torch), so `pull` starts fast."""

from __future__ import annotations

from pathlib import Path


class ModelLoadError(RuntimeError):
    pass


def looks_local(source: str) -> bool:
    """Hub ids are `name` or `org/name`; anything else is a path the user meant to exist."""
    return source.startswith((".", "/", "~")) or source.count("/") > 1


def resolve_source(source: str, what: str = "model") -> tuple[str, bool]:
    """(path or hub id, is_local). Raises when a local-looking path is missing."""
    p = Path(source).expanduser()
    if p.is_dir():
        return str(p), True
    if looks_local(source):
        raise ModelLoadError(f"{what} folder not found: {source}")
    return source, False
