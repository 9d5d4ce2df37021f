"""axe-core (the copy bundled by axe-playwright-python) run in the page under test.

WCAG 2.1 AA is the bar: `serious_violations` lists every rule of impact serious or critical that
fails, with a few offending selectors, so an assertion's message says what to fix.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WCAG_AA = {"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}}


def serious_violations(page: Any) -> list[str]:
    """'rule-id: help (selectors)' for each serious or critical violation on the page as it is now."""
    results = AXE.run(page, options={**WCAG_AA, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            found.append(f"{violation['id']}: {violation['help']} ({'; '.join(targets)})")
    return found
