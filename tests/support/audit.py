"""Running the reference ``graphql-http`` server audits (node) against a live endpoint."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

AUDIT_SCRIPT = Path(__file__).parents[1] / "js" / "graphql_http_audit.mjs"


def graphql_http_audit_failures(url: str) -> list[str]:
    """Every MUST and SHOULD audit that is not ``ok`` for the endpoint at ``url``."""
    node = shutil.which("node")
    assert node, "node is required for the graphql-http audits"
    modules = AUDIT_SCRIPT.parent / "node_modules" / "graphql-http"
    assert modules.is_dir(), "graphql-http is not installed: run `npm ci --prefix tests/js`"
    completed = subprocess.run(
        [node, str(AUDIT_SCRIPT), url], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert len(results) > 50, "the audit suite looks truncated"
    return [
        f"{r['id']} {r['name']}: {r['status']} ({r['reason']})"
        for r in results
        if r["name"].startswith(("MUST", "SHOULD")) and r["status"] != "ok"
    ]
