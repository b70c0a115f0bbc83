#!/usr/bin/env python3
"""Write an OCI image as an OCI-layout tarball (what `ctr images import`,
`podman load` and `skopeo copy oci-archive:` take), without docker or a
registry: one layer, owned by root, with fixed timestamps (reproducible).

    oci_image.py ROOTDIR OUT.tar NAME [--entrypoint PATH...] [--cmd ARG...]

Also imported by build-test-image.py.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile

MTIME = 1_700_000_000


def add(tar, name, data=b"", mode=0o644, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.mode, info.type, info.linkname = MTIME, 0, 0, mode, kind, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def layer_from_dir(root):
    """A layer holding the tree under `root`, as root:root."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            if rel != ".":
                add(t, rel, kind=tarfile.DIRTYPE, mode=os.stat(dirpath).st_mode & 0o7777)
            for f in sorted(filenames):
                path = os.path.join(dirpath, f)
                name = os.path.normpath(os.path.join(rel, f))
                st = os.lstat(path)
                if os.path.islink(path):
                    add(t, name, kind=tarfile.SYMTYPE, link=os.readlink(path))
                else:
                    with open(path, "rb") as fh:
                        add(t, name, fh.read(), mode=st.st_mode & 0o7777)
    return raw.getvalue()


def _blob(tar, data):
    digest = hashlib.sha256(data).hexdigest()
    add(tar, f"blobs/sha256/{digest}", data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def write_image(out, name, layer, container_config):
    """Writes `layer` (an uncompressed tar) as image `name` with the
    image config's `config` section `container_config`."""
    compressed = gzip.compress(layer, mtime=0)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for d in ["blobs", "blobs/sha256"]:
            add(t, d, kind=tarfile.DIRTYPE, mode=0o755)
        layer_desc = _blob(t, compressed)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": container_config,
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        }
        config_desc = _blob(t, json.dumps(config).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc}],
        }
        manifest_desc = _blob(t, json.dumps(manifest).encode())
        index = {
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **manifest_desc,
                "annotations": {
                    "io.containerd.image.name": name,
                    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
                },
            }],
        }
        add(t, "index.json", json.dumps(index).encode())
        add(t, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("name")
    ap.add_argument("--entrypoint", nargs="+", default=[])
    ap.add_argument("--cmd", nargs="+", default=[])
    args = ap.parse_args()
    config = {"Env": ["PATH=/usr/bin:/bin"]}
    if args.entrypoint:
        config["Entrypoint"] = args.entrypoint
    if args.cmd:
        config["Cmd"] = args.cmd
    write_image(args.out, args.name, layer_from_dir(args.root), config)


if __name__ == "__main__":
    main()
