#!/usr/bin/env python3
"""Build a tiny OCI image (busybox-static) as an OCI layout tarball that
`ctr image import` accepts, without docker or a registry.

    build-test-image.py BUSYBOX OUT.tar [NAME [CMD...]]
        NAME: docker.io/osprey/test:latest; CMD: /bin/sh
"""
import io
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_image import add, write_image  # noqa: E402

APPLETS = ["sh", "cat", "ls", "id", "echo", "sleep", "true", "mount", "nc", "touch", "chmod", "rm", "cp", "ps"]


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


def main():
    busybox, out = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "docker.io/osprey/test:latest"
    cmd = sys.argv[4:] or ["/bin/sh"]
    write_image(out, name, layer(busybox), {"Env": ["PATH=/bin"], "Cmd": cmd})


if __name__ == "__main__":
    main()
