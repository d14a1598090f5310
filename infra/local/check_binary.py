#!/usr/bin/env python3
"""Checks that a `sam build` output is a Lambda bootstrap for the given architecture.

    check_binary.py PATH arm64|x86_64

An executable ELF file for that processor (e_machine 0xB7 aarch64, 0x3E x86-64), as
provided.al2023 runs it: `sam deploy` would upload whatever sam build left, and a wrong
architecture only fails on AWS, at the first invocation.
"""
import os
import struct
import sys

MACHINES = {"arm64": 0xB7, "x86_64": 0x3E}


def main():
    path, arch = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        header = f.read(20)
    if header[:4] != b"\x7fELF":
        sys.exit(f"{path}: not an ELF executable")
    (machine,) = struct.unpack_from("<H", header, 18)
    if machine != MACHINES[arch]:
        sys.exit(f"{path}: built for machine {machine:#x}, not {arch}")
    if not os.access(path, os.X_OK):
        sys.exit(f"{path}: not executable")
    print(f"{path}: {arch} bootstrap, {os.path.getsize(path) / 2**20:.2f} MiB")


if __name__ == "__main__":
    main()
