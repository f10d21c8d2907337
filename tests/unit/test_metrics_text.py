"""densho's metric exposition (``densho/metrics/text.py``, ``histogram.py``) read back by
``prometheus_client``'s own parsers, in both formats: names, types, escaped label values,
histogram buckets (a value on a bound counts in that bound's bucket)."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from densho.metrics.histogram import Histogram, le_values
from densho.metrics.text import Family, encode, labels, with_le


def _families(openmetrics: bool) -> list[Family]:
    odd = labels((("queue", 'we"ird\\name\nx'), ("node", "n")))
    counter = Family("densho_test_things", "counter", 'Things, "quoted"\\ and\nnewline.')
    counter.add(odd, 3)
    gauge = Family("densho_test_level", "gauge", "A level.")
    gauge.add(labels((("queue", "q"),)), 0.25)
    gauge.add("", 7)
    h = Histogram((1, 10))
    for value in (0.5, 1, 5, 10, 11):
        h.observe(value)
    histogram = Family("densho_test_sizes", "histogram", "Sizes.")
    rendered = labels((("queue", "q"),))
    histogram.add_histogram(with_le(rendered, le_values(h.bounds)), rendered, h)
    return [counter, gauge, histogram]


def _parse(body: str, openmetrics: bool) -> list[Any]:
    if openmetrics:
        return list(parse_openmetrics(body + "# EOF\n"))  # type: ignore[no-untyped-call]
    return list(parse_text(body))


@pytest.mark.parametrize("openmetrics", [False, True])
def test_encoded_families_parse_back(openmetrics: bool) -> None:
    body = encode(_families(openmetrics), openmetrics)
    parsed = _parse(body, openmetrics)
    by_name: dict[str, Any] = {f.name: f for f in parsed}
    things = by_name["densho_test_things"]
    assert things.type == "counter"
    assert things.documentation == 'Things, "quoted"\\ and\nnewline.'
    [sample] = things.samples
    assert sample.name == "densho_test_things_total" and sample.value == 3
    assert sample.labels == {"queue": 'we"ird\\name\nx', "node": "n"}
    assert [(s.labels, s.value) for s in by_name["densho_test_level"].samples] == [
        ({"queue": "q"}, 0.25),
        ({}, 7),
    ]
    sizes = {(s.name, s.labels.get("le")): s.value for s in by_name["densho_test_sizes"].samples}
    assert sizes == {
        ("densho_test_sizes_bucket", "1.0"): 2,  # 0.5 and 1 (le: at most)
        ("densho_test_sizes_bucket", "10.0"): 4,
        ("densho_test_sizes_bucket", "+Inf"): 5,
        ("densho_test_sizes_count", None): 5,
        ("densho_test_sizes_sum", None): 27.5,
    }
