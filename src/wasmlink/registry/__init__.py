"""Registries: where linked artifacts are kept, shared and deduplicated (Linking.md's "external
shared registry").

Data flows the same way for every transport:

    references.py   parse and check what a user names: OCI references
                    (``localhost:5000/ns/name:tag``, ``...@sha256:...``), local store references
                    (``oci:PATH:REFERENCE``), wkg package names (``ns:name@version``), digests
    store.py        the local content-addressed store: an OCI image layout directory
                    (``oci-layout``, ``index.json``, ``blobs/sha256/<hex>``), atomic and locked
    locks.py        the file locks that make concurrent writers of one store safe
    client.py       a small OCI distribution client for real registries (HTTP, auth, retries,
                    monolithic / chunked / resumable uploads, cross-repository mount)
    artifact.py     the OCI Wasm artifact of a module or component (CNCF wasm-oci layout:
                    config ``application/vnd.wasm.config.v0+json``, layer ``application/wasm``)
    layering.py     ``push --dedup``: a component split into a root layer whose large children
                    are imports named by content hash, plus one layer per distinct child; and the
                    exact reassembly on pull
    transfer.py     push / pull of artifacts between files and repositories (store or registry)
    resolve.py      hash- and name-imported children replaced by their content, hashes checked
    dedup.py        bulk dedup of many .wasm files: map (file -> hashed ranges) and reduce,
                    in processes or on Dask
    chunking.py     content-defined chunking, to measure what sub-module dedup would save

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
