#!/usr/bin/env python3
"""Build a tiny OCI image (busybox-static) as an OCI layout tarball that
`ctr image import` accepts, without docker or a registry.

    build-test-image.py BUSYBOX OUT.tar [NAME [CMD...]]
        NAME: docker.io/osprey/test:latest; CMD: /bin/sh
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile

MTIME = 1_700_000_000
APPLETS = ["sh", "cat", "ls", "id", "echo", "sleep", "true", "mount", "nc", "touch", "chmod", "rm", "cp", "ps"]


def add(tar, name, data=b"", mode=0o644, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.mode, info.type, info.linkname = MTIME, 0, 0, mode, kind, link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def layer(busybox):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ["bin", "etc", "tmp", "root", "proc", "sys", "dev"]:
            add(t, d, kind=tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
        add(t, "bin/busybox", open(busybox, "rb").read(), mode=0o755)
        for a in APPLETS:
            add(t, f"bin/{a}", kind=tarfile.SYMTYPE, link="busybox")
        # `app` exists only in the image: the tests check names come from here.
        add(t, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:4321:4321::/home/app:/bin/sh\n")
        add(t, "etc/group", b"root:x:0:\napp:x:4321:\n")
        add(t, "etc/shadow", b"root:*:19000:0:99999:7:::\n", mode=0o600)
        add(t, "etc/os-release", b'NAME="osprey-test"\nID=osprey-test\n')
    return raw.getvalue()


def blob(tar, data):
    digest = hashlib.sha256(data).hexdigest()
    add(tar, f"blobs/sha256/{digest}", data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def main():
    busybox, out = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "docker.io/osprey/test:latest"
    cmd = sys.argv[4:] or ["/bin/sh"]
    uncompressed = layer(busybox)
    compressed = gzip.compress(uncompressed, mtime=0)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for d in ["blobs", "blobs/sha256"]:
            add(t, d, kind=tarfile.DIRTYPE, mode=0o755)
        layer_desc = blob(t, compressed)
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": cmd},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(uncompressed).hexdigest()]},
        }
        config_desc = blob(t, json.dumps(config).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_desc},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer_desc}],
        }
        manifest_desc = blob(t, json.dumps(manifest).encode())
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


if __name__ == "__main__":
    main()
