"""Command-line entry: `python -m srlm_engine ...`."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="srlm_engine", description="SRLM Studio training engine")
    parser.add_argument("--version", action="version", version=f"srlm_engine {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("version", help="print the engine version as JSON")
    args = parser.parse_args(argv)
    if args.command == "version":
        import json

        print(json.dumps({"engine": "srlm_engine", "version": __version__}))
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
