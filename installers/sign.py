#!/usr/bin/env python3
"""Sign one Windows executable in place with osslsigncode (Authenticode), or say why not.

    python installers/sign.py FILE

osslsigncode runs on Linux and Windows; on Windows without it, the SDK's ``signtool`` is used.
Configuration, all from the environment (so no secret lands in the repository or a command line):

- ``PZH_SIGN_PFX``: the code-signing certificate with its key (.pfx / .p12)
- ``PZH_SIGN_PASSWORD`` or ``PZH_SIGN_PASSWORD_FILE``: its password
- ``PZH_SIGN_TIMESTAMP``: RFC 3161 timestamp server (default http://timestamp.digicert.com);
  set it to ``none`` to sign without a timestamp (offline builds; the signature then expires with
  the certificate)

Without ``PZH_SIGN_PFX`` nothing is signed and a message says so (exit 0): unsigned builds are
fine for testing, not for deployment (antivirus such as 360 distrusts unsigned installers).
The build script calls this for both programs; NSIS calls it for the uninstaller
(``!uninstfinalize``) and the installer (``!finalize``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_TIMESTAMP = "http://timestamp.digicert.com"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    target = Path(argv[0])
    pfx = os.environ.get("PZH_SIGN_PFX")
    if not pfx:
        print(
            f"[sign] skipped {target.name}: no certificate configured (set PZH_SIGN_PFX)",
            flush=True,
        )
        return 0
    password = os.environ.get("PZH_SIGN_PASSWORD")
    if password is None and os.environ.get("PZH_SIGN_PASSWORD_FILE"):
        password = Path(os.environ["PZH_SIGN_PASSWORD_FILE"]).read_text(encoding="utf-8").strip()
    stamp = os.environ.get("PZH_SIGN_TIMESTAMP", DEFAULT_TIMESTAMP)
    tool = shutil.which("osslsigncode")
    if not tool and os.name == "nt" and shutil.which("signtool"):
        return _signtool(target, pfx, password, stamp)
    if not tool:
        print("[sign] PZH_SIGN_PFX is set but osslsigncode is not installed", file=sys.stderr)
        return 1
    signed = target.with_name(target.name + ".signed")
    cmd = [
        tool,
        "sign",
        "-pkcs12",
        pfx,
        "-h",
        "sha256",
        "-n",
        "文化站工作台",
        "-in",
        str(target),
        "-out",
        str(signed),
    ]
    if password:
        cmd[4:4] = ["-readpass", "/dev/stdin"] if os.name != "nt" else ["-pass", password]
    if stamp.lower() != "none":
        cmd[-4:-4] = ["-ts", stamp]
    proc = subprocess.run(
        cmd,
        input=password if password and os.name != "nt" else None,
        text=True,
        capture_output=True,
    )
    if proc.returncode != 0:
        print(f"[sign] failed to sign {target}:\n{proc.stdout}{proc.stderr}", file=sys.stderr)
        signed.unlink(missing_ok=True)
        return 1
    signed.replace(target)
    print(f"[sign] signed {target.name}", flush=True)
    return 0


def _signtool(target: Path, pfx: str, password: str | None, stamp: str) -> int:
    """Windows without osslsigncode: the SDK's signtool does the same."""
    cmd = ["signtool", "sign", "/f", pfx, "/fd", "sha256", "/d", "文化站工作台"]
    if password:
        cmd += ["/p", password]
    if stamp.lower() != "none":
        cmd += ["/tr", stamp, "/td", "sha256"]
    proc = subprocess.run([*cmd, str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"[sign] signtool failed for {target}:\n{proc.stdout}{proc.stderr}", file=sys.stderr)
        return 1
    print(f"[sign] signed {target.name} (signtool)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
