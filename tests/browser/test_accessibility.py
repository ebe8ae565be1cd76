"""
Accessibility: axe-core runs in Chromium on every page of tests/helpers.py, in Korean and in
English, with the WCAG 2.0 and 2.1 A and AA rules (KWCAG follows WCAG): zero violations.
"""

import pytest

from tests.helpers import AXE, PASSWORD, log_in, need, npm_package, site_pages

pytestmark = pytest.mark.django_db(transaction=True)

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""


@pytest.fixture
def axe():
    need(npm_package(AXE, "axe-core"))
    return AXE


def audit(page, axe):
    """axe's WCAG A and AA violations on the page as loaded."""
    page.add_script_tag(path=str(axe))
    return page.evaluate(RUN_AXE, WCAG)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_page_has_no_accessibility_violations(demo, new_page, axe, language):
    pages, violations = {}, {}
    for name, url, username, status in site_pages():
        if username not in pages:
            # axe is added as a script, which the Content Security Policy would refuse.
            pages[username] = new_page(language, bypass_csp=True)
            # axe loads with each page, before the page's own scripts, instead of being added
            # to it afterwards (a third less time); without it, the audit fails, never passes.
            pages[username].context.add_init_script(path=str(axe))
            if username:
                log_in(pages[username], username, password=PASSWORD)
        page = pages[username]
        # goto waits for the load event: the pages' own scripts have run by then (none of them
        # fetches anything after it), so no half-second wait for the network to stay idle.
        response = page.goto(url)
        assert response.status == status, (name, url, response.status)
        found = page.evaluate(RUN_AXE, WCAG)
        if found:
            violations[name] = found

    assert violations == {}, "\n".join(
        f"{name}: {v['rule']} ({v['impact']}) {v['help']}\n    " + "\n    ".join(v["nodes"])
        for name, found in violations.items() for v in found)


def test_axe_finds_violations(demo, new_page, axe, live_server):
    """The check above can fail: an image without text and an unlabelled field are found."""
    page = new_page("en", bypass_csp=True)
    page.goto("/healthz")
    page.set_content('<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><main>'
                     '<img src="data:,"><input type="text"></main></body></html>')

    rules = {violation["rule"] for violation in audit(page, axe)}

    assert {"image-alt", "label"} <= rules
