"""Registries: where linked artifacts are kept, shared and deduplicated (Linking.md's "external
shared registry").

Data flows the same way for every transport:

    references.py   parse and check what a user names: OCI references
                    (``localhost:5000/ns/name:tag``, ``...@sha256:...``), local store references
                    (``oci:PATH:REFERENCE``), wkg package names (``ns:name@version``), digests
    locks.py        the file locks that make concurrent writers of one store safe
    store.py        the local content-addressed store: an OCI image layout directory
                    (``oci-layout``, ``index.json``, ``blobs/sha256/<hex>``), atomic and locked
    http.py         one registry origin: pooled connections, bounded retries with backoff
    auth.py         where registry credentials come from; basic and bearer-token answers to 401
    client.py       the OCI distribution client (HEAD, monolithic / chunked / resumable
                    uploads, cross-repository mount, verified downloads, manifests, tags)
    blob_locations.py  which repositories of a registry hold a blob, remembered across pushes
                    so that shared layers are mounted rather than sent again
    artifact.py     the OCI Wasm artifact of a module or component (CNCF wasm-oci layout:
                    config ``application/vnd.wasm.config.v0+json``, layer ``application/wasm``)
    layering.py     ``push --dedup``: a component split into a root layer whose large children
                    are imports named by content hash, plus one layer per distinct child; and the
                    exact reassembly on pull
    transfer.py     push / pull of artifacts between files and repositories (store or registry)
    resolve.py      hash- and name-imported children replaced by their content, hashes checked
    dedup_scan.py   bulk dedup's map: one file -> the xxh3 of each of its nested units
    dedup.py        bulk dedup's reduce and report (sha256 for candidates only), and the API
    dedup_runners.py  where the map and reduce run: in-process, a process pool, or Dask
    dedup_store.py  ``dedup --into``: each distinct unit once in a store, files as recipes
    chunking.py     content-defined chunking, to measure what sub-module dedup would save
    progress.py     the progress bar of long scans (on a terminal only)
    cli_*.py        the command-line parsers of `store`, `push`/`pull`/`resolve`, `dedup`

Both a store repository and a registry repository offer the same small interface (the
"Repository" protocol below), so push and pull do not care where the bytes go:

    has_blob(digest) -> bool
    put_blob(digest, source) -> bool          # source: bytes-like or a file path; False = was there
    get_blob(digest) -> bytes                  # sha256-verified
    get_blob_to(digest, path) -> None          # streamed to a file, verified, written atomically
    put_manifest(reference, data, media_type) -> str     # reference: a tag or a digest; returns
                                                          # the manifest's digest
    get_manifest(reference) -> tuple[bytes, str]          # (bytes, media type); verified when the
                                                          # reference is a digest
"""
