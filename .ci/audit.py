"""Audit every pinned package (runtime, production and development, with what they pull in)
for known vulnerabilities with pip-audit.

Fails on any known vulnerability. A package the vulnerability service has no record of is
listed as "not audited"; when the service cannot be reached or knows none of them, the
audit says so plainly and fails only with AUDIT_STRICT=1 (so an offline build machine does
not block a release, but never reports a clean audit it did not do).
"""
import json
import os
import subprocess
import sys
import tempfile

VENV_PYTHON = sys.executable


def pinned() -> str:
    frozen = subprocess.run(
        [VENV_PYTHON, "-m", "pip", "freeze", "--exclude-editable", "--all"],
        check=True, capture_output=True, text=True,
    ).stdout
    keep = [line for line in frozen.splitlines()
            if "==" in line and not line.startswith(("pip==", "setuptools==", "wheel=="))]
    return "\n".join(keep) + "\n"


def main() -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(pinned())
        path = handle.name
    result = subprocess.run(
        [VENV_PYTHON, "-m", "pip_audit", "-r", path, "--no-deps", "--disable-pip",
         "--progress-spinner", "off", "-f", "json"],
        capture_output=True, text=True, timeout=1800,
    )
    os.unlink(path)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print("pip-audit could not run:", result.stderr.strip()[-2000:] or result.stdout)
        return 1 if os.environ.get("AUDIT_STRICT") == "1" else 0
    packages = report.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    skipped = [p for p in packages if p.get("skip_reason")]
    audited = len(packages) - len(skipped)
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {package['name']}=={package['version']}: {vuln['id']} "
                  f"(fixed in: {fixes})")
    print(f"pip-audit: {len(packages)} pinned packages, {audited} audited, "
          f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} not audited.")
    if vulnerable:
        return 1
    if skipped:
        names = ", ".join(sorted(p["name"] for p in skipped)[:20])
        more = "" if len(skipped) <= 20 else f" and {len(skipped) - 20} more"
        print(f"Not audited (the vulnerability service has no record of them or cannot be "
              f"reached): {names}{more}.")
        if os.environ.get("AUDIT_STRICT") == "1":
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
