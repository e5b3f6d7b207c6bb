"""The site's HTML: Jinja templates over the stats page's environment (same filters, same
autoescaping, same CSP builder), so a number is formatted one way everywhere."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from halotrack.report.render import assets, content_security_policy, environment

PERIOD_WORDS = {"week": "This week", "season": "This season", "all": "All time"}


@cache
def _environment() -> jinja2.Environment:
    return environment().overlay(loader=jinja2.PackageLoader("halotrack.site", "templates"))


@cache
def _site_css() -> str:
    return resources.files("halotrack.site").joinpath("templates", "site.css").read_text("utf-8")


def page_csp() -> str:
    """No script at all on the site's own pages; forms (search) post to this origin only."""
    return content_security_policy(forms=True)


def render(template: str, **values: Any) -> str:
    return (
        _environment()
        .get_template(template)
        .render(
            page_css=Markup(assets().page_css),
            site_css=Markup(_site_css()),
            period_words=PERIOD_WORDS,
            **values,
        )
    )
