"""Drawing a page: the Jinja2 environment (templates shipped in the package, autoescaped) and
what every page gets (the viewer, the CSRF token, the notices waiting for it).

Owns: the environment, the filters the templates use (times, ages, JSON), ``render``.
Must not know: what a page's data means, ASGI, the wire.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import jinja2

from densho.console.visit import PREFIX, Answer, Visit, queue_path, topic_path

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("densho.console", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the page (and its test)
    trim_blocks=True,
    lstrip_blocks=True,
)


def _time(ms: int | str | None) -> str:
    if ms is None or ms == "":
        return "—"
    moment = datetime.datetime.fromtimestamp(int(ms) / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _relative(ms: int, now_ms: int) -> str:
    delta = (ms - now_ms) // 1000
    if delta <= 0:
        return "now" if delta > -2 else f"{_age(-delta)} ago"
    return f"in {_age(delta)}"


def _pretty(text: str) -> str:
    """JSON bodies and policies indented; anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return text


_ENV.filters.update(time=_time, age=_age, pretty=_pretty)
_ENV.globals.update(prefix=PREFIX, queue_path=queue_path, topic_path=topic_path, relative=_relative)


def render(visit: Visit, template: str, status: int = 200, **context: Any) -> Answer:
    identity = visit.session.identity
    page = _ENV.get_template(template).render(
        csrf=visit.session.csrf,
        notices=visit.session.take_notices(),
        viewer=None if identity is None else identity.arn,
        auth=visit.services.auth,
        now_ms=visit.services.sqs.now_ms(),
        **context,
    )
    return Answer(status, page.encode())
