"""Entry of the RewardRunner's worker process: ``python -m srlm_engine.rewards._worker FD``."""

import sys
from multiprocessing.connection import Connection

from .runner import _worker_main

if __name__ == "__main__":
    _worker_main(Connection(int(sys.argv[1])))
