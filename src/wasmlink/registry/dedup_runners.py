"""Where dedup's map and reduce tasks run: in this process, in a process pool, or on Dask.

All three offer the same four things to dedup.run:

    workers                      how many tasks run at once (to size the batches)
    map(fn, batches, bytes, progress, **kw)   fn(batch, **kw) for each batch; returns handles
                                 in batch order, whatever order they finish in; progress(files,
                                 bytes) is called as each batch finishes
    gather(handles)              the results themselves, in order
    call(fn, *args)              one reduce task; args may hold handles from map

The process pool is ``concurrent.futures.ProcessPoolExecutor`` with one task per batch (a batch
is dozens of files, so the per-task cost is paid rarely); its handles are the results. On Dask
(``dask.distributed.Client(address)``) the handles are futures: the summaries stay on the
workers and the reduce tasks are submitted to run next to them, so only the digest requests and
the report come back to this process. dask is imported only here, only when asked for.
"""
from __future__ import annotations

import contextlib

from ..errors import UsageError


class LocalRunner:
    """In this process (jobs 1) or a process pool of ``jobs`` processes."""

    def __init__(self, jobs: int = 1):
        self.workers = jobs
        self.pool = None
        if jobs > 1:
            from concurrent.futures import ProcessPoolExecutor
            self.pool = ProcessPoolExecutor(max_workers=jobs)

    def map(self, fn, batches, batch_bytes, progress, **kw):
        results = [None] * len(batches)
        if self.pool is None:
            for i, batch in enumerate(batches):
                results[i] = fn(batch, **kw)
                _report(progress, batches, batch_bytes, i)
            return results
        from concurrent.futures import as_completed
        futures = {self.pool.submit(fn, batch, **kw): i for i, batch in enumerate(batches)}
        try:
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                _report(progress, batches, batch_bytes, i)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results

    def gather(self, handles):
        return handles

    def call(self, fn, *args):
        return fn(*args)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


class DaskRunner:
    """On the Dask cluster whose scheduler is at ``address``."""

    def __init__(self, address: str, timeout: float = 30.0):
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs Dask: pip install 'wasmlink[dask]' (dask and "
                             "distributed)") from None
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {e}") from None
        self.workers = max(1, sum(w.get("nthreads", 1) for w in
                                  self.client.scheduler_info()["workers"].values()))

    def map(self, fn, batches, batch_bytes, progress, **kw):
        from distributed import as_completed
        futures = self.client.map(fn, batches, pure=False, **kw)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures, loop=self.client.loop):
            if future.status == "error":
                future.result()                 # raises the task's own exception
            _report(progress, batches, batch_bytes, index[future.key])
        return futures

    def gather(self, handles):
        return self.client.gather(handles)

    def call(self, fn, *args):
        return self.client.submit(fn, *args, pure=False).result()

    def close(self) -> None:
        self.client.close()


def _report(progress, batches, batch_bytes, i) -> None:
    if progress is not None:
        progress(len(batches[i]), batch_bytes[i] if batch_bytes else 0)


@contextlib.contextmanager
def runner_for(jobs: int = 1, scheduler: str | None = None):
    if scheduler is not None and jobs != 1:
        raise UsageError("--jobs and --scheduler exclude each other: the Dask cluster has "
                         "its own workers")
    runner = DaskRunner(scheduler) if scheduler is not None else LocalRunner(jobs)
    try:
        yield runner
    finally:
        runner.close()
