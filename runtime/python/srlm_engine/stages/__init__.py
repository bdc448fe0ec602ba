"""Stage trainers: sft.py, kd.py and rl.py over the shared loop machinery of loop.py (`StageLoop`)."""
