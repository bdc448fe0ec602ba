"""Read what the metric back-ends wrote, each with its own reader, for the sink tests."""

from __future__ import annotations

import struct
from pathlib import Path


def tensorboard_scalars(logdir: Path) -> dict[str, list[tuple[int, float]]]:
    """tag → [(step, value)] through TensorBoard's own event reader."""
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    return {tag: [(s.step, s.value) for s in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def tensorboard_texts(logdir: Path) -> dict[str, list[str]]:
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(str(logdir), size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags()["tensors"]:
        out[tag] = [b"".join(t.tensor_proto.string_val).decode() for t in acc.Tensors(tag)]
    return out


# The `.wandb` file: a 7-byte header (":W&B", magic 0xBEE1, version 0), then LevelDB-log framing: 32 KiB blocks
# of records (crc32 4 bytes, length 2, type 1: full/first/middle/last), each payload a wandb `Record` protobuf.
# wandb 0.31 moved its Python reader (`wandb.sdk.internal.datastore`) into its Go core, so the framing is read
# here and the payloads with wandb's own protobuf classes.
_BLOCK = 32768


def wandb_records(path: Path) -> list:
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B" and struct.unpack("<H", data[4:6])[0] == 0xBEE1, "not a .wandb file"
    pos, pending, records = 7, b"", []
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # the rest of a block too small for a header is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        pos += 7
        chunk = data[pos : pos + length]
        pos += length
        if kind == 0 and length == 0:
            continue
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            rec = wandb_internal_pb2.Record()
            rec.ParseFromString(pending)
            records.append(rec)
            pending = b""
    return records
