"""Bulk dedup of many .wasm files: which modules and components they hold in common, and what
storing each distinct one once would save (``wasmlink dedup``, ``wasmlink.dedup``).

The terms, exactly:

    unit        a file that is a core module or a component, and every core module and
                component nested in it at any depth (binary.component's tree). A nested unit
                smaller than ``min_size`` bytes is not a unit of its own: its bytes belong to
                the unit around it. The file itself is always a unit.
    content     a unit's exact bytes. Two units have the same content iff their bytes are equal:
                xxh3-64 (with the size) finds the candidates, sha256 confirms them; a unit whose
                (size, xxh3) occurs once in the corpus is unique without a sha256.
    own bytes   a unit's bytes less those of the units nested directly in it.
    total       the sum of the sizes of the files that scanned.
    unique      the sum, over the distinct contents, of their own bytes: the size of a store that
                keeps each distinct content once, with its nested units by reference (what
                ``--into`` writes as literal and module blobs, before recipe overhead, and
                less where two units' literal runs happen to be equal). A module
                nested in a duplicated component is counted once, not once per copy.
    saved       total - unique. It is the sum over the distinct contents of
                (occurrences - 1) * own bytes, which is each shared group's ``saved`` below.
    per file    ``unique`` is the own bytes of the contents whose first occurrence (in report
                order) is in the file, so the files' figures add up to the totals and the first
                file holding a module pays for it; ``saved`` is size - unique; ``shared`` is the
                bytes of the file inside units whose content occurs more than once in the corpus
                (in this file or another).
    group       a content occurring more than once: its sha256, size, own bytes, count, saved
                and every occurrence (file, offset).

Files that are not modules or components, or fail to scan (truncated, malformed), are reported
with an error and left out of every figure; the CLI exits 1 after the report when any failed.
A file whose size or mtime changes between the scan and a later pass is an error of the whole
run (its figures would be of neither version).

Data flow: map (dedup_scan: each file to a small summary of hashed ranges), reduce (here:
group by (size, xxh3); plan which ranges need a sha256), map again for those sha256 only, and
reduce to the report. Which ranges need one: every occurrence of a candidate (size, xxh3) group,
except those inside a copy of a larger candidate that is not its group's first occurrence,
whose content is then that of the unit at the same place in the first copy. When a candidate's
copies turn out different after all (an xxh3 collision), the plan is redone with what is known,
so in the end every candidate's content is a confirmed sha256. The map runs in this process,
in a process pool (``jobs``) or on Dask (``scheduler``): see dedup_runners.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import UsageError, WasmlinkError
from .dedup_scan import KIND_NAMES, DigestRequest, FileSummary

FORMAT_VERSION = 1
DEFAULT_MIN_SIZE = 4096         # a smaller module costs about as much to reference as to keep


# --- the report -----------------------------------------------------------------------------

@dataclass
class FileFigures:
    path: str
    size: int = 0
    kind: str = ""
    units: int = 0
    unique: int = 0
    saved: int = 0
    shared: int = 0
    error: str | None = None

    def to_json(self) -> dict:
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        return {"path": self.path, "kind": self.kind, "size": self.size, "units": self.units,
                "unique": self.unique, "saved": self.saved, "shared": self.shared}


@dataclass
class SharedGroup:
    sha256: str                 # hex
    kind: str
    size: int
    own: int
    occurrences: list           # of (path, offset), in report order

    @property
    def count(self) -> int:
        return len(self.occurrences)

    @property
    def saved(self) -> int:
        return (self.count - 1) * self.own

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "kind": self.kind, "size": self.size, "own": self.own,
                "count": self.count, "saved": self.saved,
                "occurrences": [{"path": p, "offset": o} for p, o in self.occurrences]}


@dataclass
class ChunkFigures:
    """Content-defined chunking of the unique bytes (see chunking.py)."""
    min_size: int
    avg_size: int
    max_size: int
    bytes: int                  # the unique bytes of whole-unit dedup, all chunked
    chunks: int
    distinct_chunks: int
    unique: int                 # the bytes of the distinct chunks

    @property
    def saved(self) -> int:
        """What chunking saves beyond whole-unit dedup."""
        return self.bytes - self.unique

    def to_json(self) -> dict:
        return {"min_size": self.min_size, "avg_size": self.avg_size, "max_size": self.max_size,
                "bytes": self.bytes, "chunks": self.chunks,
                "distinct_chunks": self.distinct_chunks, "unique": self.unique,
                "saved": self.saved}


@dataclass
class DedupReport:
    min_size: int
    files: list = field(default_factory=list)          # of FileFigures, in input order
    groups: list = field(default_factory=list)         # of SharedGroup, by saved, then sha256
    units: int = 0
    distinct_units: int = 0
    chunking: ChunkFigures | None = None

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files if f.error is None)

    @property
    def unique(self) -> int:
        return sum(f.unique for f in self.files if f.error is None)

    @property
    def saved(self) -> int:
        return self.total - self.unique

    @property
    def errors(self) -> list:
        return [f for f in self.files if f.error is not None]

    def to_json(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "min_size": self.min_size,
            "totals": {"files": len(self.files), "errors": len(self.errors),
                       "units": self.units, "distinct_units": self.distinct_units,
                       "shared_units": len(self.groups), "bytes": self.total,
                       "unique": self.unique, "saved": self.saved},
            "files": [f.to_json() for f in self.files],
            "groups": [g.to_json() for g in self.groups],
            "chunking": self.chunking.to_json() if self.chunking else None,
        }


# --- the reduce side ------------------------------------------------------------------------

class Corpus:
    """Every unit of every summary as one global row (file order, then preorder), with the
    candidate groups and what is known of their sha256."""

    def __init__(self, batches: list[list[FileSummary]]):
        self.summaries = [s for batch in batches for s in batch]
        self.file_of: list[int] = []
        self.first_row: list[int] = []          # global row of each file's root
        self.size: list[int] = []
        self.parent: list[int] = []
        key_rows: dict[tuple[int, int], list[int]] = {}
        for f, s in enumerate(self.summaries):
            base = len(self.size)
            self.first_row.append(base)
            for row in range(s.unit_count):
                g = base + row
                self.file_of.append(f)
                self.size.append(s.length[row])
                self.parent.append(base + s.parent[row] if row else -1)
                key_rows.setdefault((s.length[row], s.xxh3[row]), []).append(g)
        # candidate groups, largest first: an ancestor is always larger than what it holds
        self.groups = sorted((rows for rows in key_rows.values() if len(rows) > 1),
                             key=lambda rows: (-self.size[rows[0]], rows[0]))
        self.group_of: dict[int, int] = {g: i for i, rows in enumerate(self.groups) for g in rows}

    def row(self, g: int) -> tuple[FileSummary, int]:
        f = self.file_of[g]
        return self.summaries[f], g - self.first_row[f]

    def candidate_ancestors(self, g: int):
        a = self.parent[g]
        while a >= 0:
            if a in self.group_of:
                yield a
            a = self.parent[a]

    def first_plan(self) -> list[int]:
        """The rows to hash first: each candidate, unless some candidate around it is not the
        first of its group (then it is taken to be a copy of the unit in that first one)."""
        firsts = {rows[0] for rows in self.groups}
        return [g for rows in self.groups for g in rows
                if all(a in firsts for a in self.candidate_ancestors(g))]

    def resolve(self, known: dict[int, bytes]) -> tuple[dict[int, bytes], list[int]]:
        """(sha256 of every candidate row found so far, rows still to hash), from the digests
        ``known``. Exact: a row is taken as a copy only of a confirmed identical ancestor.

        Groups go largest first, so an ancestor's group is done before the groups of what it
        holds; once a group is done, the first member of each digest among its resolved prefix
        is recorded, so that whether an ancestor is the first copy is one lookup."""
        ident: dict[int, bytes] = {}
        needed: list[int] = []
        position: dict[int, int] = {}        # row -> its index in its group
        resolved_prefix: list[int] = []       # per group: members before the first unresolved
        first_with: list[dict] = []           # per group: digest -> its first member
        for rows in self.groups:
            for g in rows:
                if g in known:
                    ident[g] = known[g]
                    continue
                b = next(self.candidate_ancestors(g), None)
                if b is None:
                    needed.append(g)
                    continue
                group = self.group_of[b]
                if position[b] >= resolved_prefix[group]:
                    continue                  # the ancestor or one before it is not known yet
                rep = first_with[group][ident[b]]
                if rep == b:
                    needed.append(g)          # inside the first copy: hash it
                else:
                    mirror = g - b + rep      # the same unit in the first copy
                    if mirror in ident:
                        ident[g] = ident[mirror]
            prefix = 0
            firsts: dict[bytes, int] = {}
            for i, g in enumerate(rows):
                position[g] = i
                if prefix == i and g in ident:
                    prefix += 1
                    firsts.setdefault(ident[g], g)
            resolved_prefix.append(prefix)
            first_with.append(firsts)
        return ident, needed

    def requests(self, rows: list[int]) -> tuple[list[DigestRequest], list[list[int]]]:
        """The digest requests for ``rows``, one per file, with the rows each one answers."""
        by_file: dict[int, list[int]] = {}
        for g in sorted(rows):
            by_file.setdefault(self.file_of[g], []).append(g)
        requests, answers = [], []
        for f, gs in sorted(by_file.items()):
            s = self.summaries[f]
            base = self.first_row[f]
            requests.append(DigestRequest(s.path, s.size, s.mtime_ns,
                                          [s.start[g - base] for g in gs],
                                          [s.length[g - base] for g in gs]))
            answers.append(gs)
        return requests, answers

    # the final reduce

    def content_ids(self, known: dict[int, bytes]) -> tuple[list[int], dict[int, bytes]]:
        """(content id of every row, sha256 of every candidate row): contents are numbered
        in first-occurrence order; candidates are one content per sha256, every other row a
        content of its own."""
        ident, needed = self.resolve(known)
        unresolved = [g for rows in self.groups for g in rows if g not in ident]
        if needed or unresolved:
            raise AssertionError(f"dedup: {len(needed) + len(unresolved)} units unresolved")
        ids: dict = {}
        cid = [ids.setdefault(ident[g] if g in ident else g, len(ids))
               for g in range(len(self.size))]
        return cid, ident

    def report(self, known: dict[int, bytes], min_size: int, chunk_sizes=None) -> DedupReport:
        cid, ident = self.content_ids(known)
        distinct = max(cid) + 1 if cid else 0
        count = [0] * distinct
        first = [-1] * distinct
        for g, c in enumerate(cid):
            count[c] += 1
            if first[c] < 0:
                first[c] = g
        own = list(self.size)
        for g, p in enumerate(self.parent):
            if p >= 0:
                own[p] -= self.size[g]

        report = DedupReport(min_size=min_size, units=len(cid), distinct_units=distinct)
        for f, s in enumerate(self.summaries):
            if s.error is not None:
                report.files.append(FileFigures(s.path, error=s.error))
                continue
            base, end = self.first_row[f], self.first_row[f] + s.unit_count
            unique = sum(own[g] for g in range(base, end) if first[cid[g]] == g)
            shared = 0
            for g in range(base, end):
                if count[cid[g]] > 1:
                    p = self.parent[g]
                    while p >= 0 and count[cid[p]] == 1:
                        p = self.parent[p]
                    if p < 0:                           # a maximal shared unit
                        shared += self.size[g]
            report.files.append(FileFigures(s.path, s.size, s.file_kind, s.unit_count, unique,
                                            s.size - unique, shared))
        occurrences: dict[int, list] = {}
        for g, c in enumerate(cid):
            if count[c] > 1:
                s, row = self.row(g)
                occurrences.setdefault(c, []).append((s.path, s.start[row]))
        groups = []
        for c, where in occurrences.items():
            s, row = self.row(first[c])
            groups.append(SharedGroup(ident[first[c]].hex(), KIND_NAMES[s.kind[row]],
                                      self.size[first[c]], own[first[c]], where))
        report.groups = sorted(groups, key=lambda grp: (-grp.saved, grp.sha256))
        if chunk_sizes is not None:
            report.chunking = self._chunk_figures(cid, first, own, chunk_sizes)
        return report

    def _chunk_figures(self, cid, first, own, chunk_sizes) -> ChunkFigures:
        """The chunks of each distinct content's first occurrence, counted once each."""
        from .chunking import ChunkTally
        tally = ChunkTally()
        unique = 0
        for f, s in enumerate(self.summaries):
            base = self.first_row[f]
            firsts = {row for row in range(s.unit_count) if first[cid[base + row]] == base + row}
            unique += sum(own[base + row] for row in firsts)
            keep = [i for i, row in enumerate(s.chunk_unit) if row in firsts]
            tally.add([s.chunk_size[i] for i in keep], [s.chunk_xxh3[i] for i in keep])
        return ChunkFigures(chunk_sizes.min, chunk_sizes.avg, chunk_sizes.max, unique,
                            tally.chunks, tally.distinct, tally.unique)


# reduce tasks: plain functions of picklable arguments, so Dask can run them as they are

def plan_step(batches, known: dict[int, bytes] | None):
    """(requests, the rows each answers) still needed; ``known`` None: the first plan."""
    corpus = Corpus(batches)
    rows = corpus.first_plan() if known is None else corpus.resolve(known)[1]
    return corpus.requests(rows)


def report_step(batches, known: dict[int, bytes], min_size: int, chunk_sizes=None):
    return Corpus(batches).report(known, min_size, chunk_sizes)


# --- inputs and the API ---------------------------------------------------------------------

@dataclass
class Input:
    path: str           # as reported: the argument, or the argument joined with the path in it
    name: str           # relative to the directory argument it was found in, or the base name
    size: int


def find_inputs(paths) -> list[Input]:
    """The files to scan, in argument order: each file argument as it is, each directory's
    ``*.wasm`` files (recursively, sorted by path, symlinked directories not followed), each
    file once."""
    if not paths:
        raise UsageError("no input: give the .wasm files or directories to deduplicate")
    inputs: list[Input] = []
    seen: set[str] = set()

    def add(path: str, name: str) -> None:
        path = os.path.normpath(path)
        if path not in seen:
            seen.add(path)
            try:
                size = os.stat(path).st_size
            except OSError:
                size = 0                    # the scan reports why it cannot be read
            inputs.append(Input(path, name, size))

    for arg in map(os.fspath, paths):
        if os.path.isdir(arg):
            found = []
            for root, dirs, files in os.walk(arg):
                dirs.sort()
                for name in files:
                    full = os.path.join(root, name)
                    if name.endswith(".wasm") and os.path.isfile(full):
                        found.append(full)
            for full in sorted(found):
                add(full, os.path.relpath(full, arg))
        elif os.path.exists(arg):
            add(arg, os.path.basename(arg))
        else:
            raise UsageError(f"{arg}: no such file or directory")
    return inputs


def dedup(paths, *, jobs: int = 1, scheduler: str | None = None, into=None,
          min_size: int = DEFAULT_MIN_SIZE, chunking: bool | int = False,
          progress=None) -> DedupReport:
    """Scan ``paths`` (files and directories) and report what they share (see the module
    docstring for the figures). ``jobs`` > 1 maps in a process pool, ``scheduler`` (a Dask
    scheduler address) on a Dask cluster; ``into`` (a path or a Store) also writes the
    deduplicated store (dedup_store.py); ``chunking`` (True, or an average chunk size) adds the
    content-defined chunking figures. ``progress``: a progress.Progress, or any object with
    ``start(label, files, bytes)`` (a phase begins) and ``__call__(files, bytes)`` (a batch of
    that phase is done)."""
    return dedup_inputs(find_inputs(paths), jobs=jobs, scheduler=scheduler, into=into,
                        min_size=min_size, chunking=chunking, progress=progress)


def dedup_inputs(inputs: list[Input], *, jobs: int = 1, scheduler: str | None = None,
                 into=None, min_size: int = DEFAULT_MIN_SIZE, chunking: bool | int = False,
                 progress=None) -> DedupReport:
    """dedup of inputs found already (find_inputs)."""
    from .chunking import AVG_SIZE, ChunkSizes
    from .dedup_runners import runner_for
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise UsageError(f"invalid --min-size {min_size!r}: expected a byte count")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"invalid --jobs {jobs!r}: expected a positive number of processes")
    chunk_sizes = None
    if chunking:
        avg = AVG_SIZE if chunking is True else chunking
        try:
            from .._native.chunking import check_sizes
            chunk_sizes = ChunkSizes.around(avg)
            check_sizes(*chunk_sizes)
        except (TypeError, ValueError) as e:
            raise UsageError(f"invalid chunking: {e}") from None
    if into is not None:
        from .dedup_store import check_names
        check_names(inputs)
    with runner_for(jobs, scheduler) as runner:
        report, known, batches = run(runner, inputs, min_size, chunk_sizes, progress,
                                     keep=into is not None)
    if into is not None:
        from .dedup_store import write_store
        write_store(into, inputs, batches, known, min_size)
    return report


def run(runner, inputs: list[Input], min_size: int, chunk_sizes, progress, keep: bool = False):
    """map, plan, map the sha256 asked for, report: (report, known digests, summaries if
    ``keep``)."""
    from .dedup_scan import digest_batch, scan_batch
    sizes = [i.size for i in inputs]
    batches = batch_indexes(sizes, runner.workers)
    if progress is not None:
        progress.start("scan", len(inputs), sum(sizes))
    scans = runner.map(scan_batch, [[inputs[i].path for i in b] for b in batches],
                       [sum(sizes[i] for i in b) for b in batches], progress,
                       min_size=min_size, chunk_sizes=chunk_sizes)
    known: dict[int, bytes] | None = None
    while True:
        requests, answers = runner.call(plan_step, scans, known)
        known = {} if known is None else known
        if not requests:
            break
        wanted = [sum(r.sizes) for r in requests]
        groups = batch_indexes(wanted, runner.workers)
        if progress is not None:
            progress.start("sha256", len(requests), sum(wanted))
        results = runner.map(digest_batch, [[requests[i] for i in b] for b in groups],
                             [sum(wanted[i] for i in b) for b in groups], progress)
        flat = [digests for batch in runner.gather(results) for digests in batch]
        for rows, digests in zip(answers, flat):
            known.update(zip(rows, digests))
    report = runner.call(report_step, scans, known, min_size, chunk_sizes)
    return report, known, (runner.gather(scans) if keep else None)


def batch_indexes(sizes: list[int], workers: int, *, max_files: int = 64,
                  max_bytes: int = 256 << 20) -> list[list[int]]:
    """Consecutive runs of indexes, each at most ``max_files`` files and about ``max_bytes``
    (smaller when that gives each worker several batches, for balance)."""
    total = sum(sizes)
    target = max(1, min(max_bytes, total // (4 * workers) if workers > 1 else max_bytes))
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, size in enumerate(sizes):
        if current and (len(current) >= max_files or used + size > target):
            batches.append(current)
            current, used = [], 0
        current.append(i)
        used += size
    if current:
        batches.append(current)
    return batches


def check_no_errors(report: DedupReport) -> None:
    """A WasmlinkError naming the first file that failed, if any did."""
    if report.errors:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise WasmlinkError(f"{first.error}{more}", path=first.path)
