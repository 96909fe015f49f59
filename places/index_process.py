"""The nearby index built in a child process, for a serving process (places.index's
background builds). Reading, decoding and packing 1,000,000 places is 10-30 s of Python
work; done in the serving process, even in small chunks, it held the event loop between
the requests (loop stalls up to ~300 ms, two full garbage collections of ~260 ms each, at
1,000,000 places under load: every connection's answer late at once). The child
reads the database itself (the same settings, inherited through the environment), builds
and sorts the segment at a lower CPU priority, and writes its columns into a memory file
(memfd) its parent passed down; the parent maps that file and hands the columns to
places/_kernel.c as they are, without copying or a Python object per place.

    python -m places.index_process FD    (started by build_apart, not by hand)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mmap
import os
import sys
import tempfile
from typing import IO

import numpy as np

from places.packing import read_live
from places.segment import SORTED_COLUMNS, Segment, schedule_id, schedules

NICE = 10  # the child gives way to its parent's requests on a busy machine
_ALIGN = 64  # each column starts on a cache line


async def build_apart() -> tuple[Segment, list[str]]:
    """The live places' segment and kind codes, built by a child process."""
    with _memory_file() as file:
        fd = file.fileno()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "places.index_process",
            str(fd),
            stdout=asyncio.subprocess.PIPE,
            pass_fds=(fd,),
        )
        try:
            out, _ = await child.communicate()
        except asyncio.CancelledError:  # the process stops: so does its build
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
            raise
        if child.returncode != 0:
            raise RuntimeError(f"the index build process exited with {child.returncode}")
        layout = json.loads(out.splitlines()[-1])
        mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)  # outlives the file: the arrays hold it
    return _segment(mapped, layout), layout["kind_codes"]


def _memory_file() -> IO[bytes]:
    if hasattr(os, "memfd_create"):  # Linux: memory, no path, no size limit of /dev/shm
        return open(os.memfd_create("cityops-places-index"), "w+b")  # noqa: SIM115
    return tempfile.TemporaryFile()  # noqa: SIM115


def _segment(mapped: mmap.mmap, layout: dict) -> Segment:
    columns = {}
    for name, (offset, dtype, shape) in layout["columns"].items():
        count = int(np.prod(shape, dtype=np.int64))
        columns[name] = np.frombuffer(mapped, np.dtype(dtype), count, offset).reshape(shape)
    # The child numbered the opening hours its own way: renumber them as this process does.
    ours = np.array([schedule_id(hours) for hours in layout["schedules"]], np.int32)
    columns["sched"] = ours[columns["sched"]]
    return Segment.sorted(columns)


# --- the child ----------------------------------------------------------------------------


async def _build_into(out: IO[bytes]) -> dict:
    main, kind_codes = await read_live()
    out.write(bytes(_ALIGN))  # never an empty file: mmap refuses one
    layout: dict = {"kind_codes": kind_codes, "schedules": schedules, "columns": {}}
    for name in (*SORTED_COLUMNS, "records"):
        column = np.frombuffer(main.records, np.uint8) if name == "records" else getattr(main, name)
        column = np.ascontiguousarray(column)
        out.write(bytes(-out.tell() % _ALIGN))
        layout["columns"][name] = (out.tell(), column.dtype.str, column.shape)
        view = memoryview(column.reshape(-1).view(np.uint8))
        while view:
            view = view[out.write(view) :]
    return layout


def main() -> None:
    os.nice(NICE)
    with open(int(sys.argv[1]), "wb", buffering=0) as out:
        layout = asyncio.run(_build_into(out))
    print(json.dumps(layout))


if __name__ == "__main__":
    main()
