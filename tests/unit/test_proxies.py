"""``densho.proxies``: what ``--public-url`` accepts, what ``--trusted-proxies`` parses to, and
how a request's forwarded headers are read — believed from trusted peers only, the client taken
from the right of the X-Forwarded-For chain, hosts that would bend a URL ignored."""

from __future__ import annotations

import re

import pytest

from densho.proxies import Edge, View, public_url, trusted_proxies


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("https://sqs.example.com", "https://sqs.example.com"),
        ("https://SQS.Example.com:8443/", "https://sqs.example.com:8443"),
        ("http://10.0.0.5:9324", "http://10.0.0.5:9324"),
        ("https://[2001:db8::1]:443", "https://[2001:db8::1]:443"),
        (" https://q.internal ", "https://q.internal"),
    ],
)
def test_public_url_accepts_a_scheme_host_and_port(given: str, normalized: str) -> None:
    assert public_url(given) == normalized


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("sqs.example.com", "must be http://HOST[:PORT] or https://HOST[:PORT]"),
        ("ftp://sqs.example.com", "must be http://HOST[:PORT] or https://HOST[:PORT]"),
        ("https://", "must be http://HOST[:PORT] or https://HOST[:PORT]"),
        ("https://sqs.example.com/prefix", "no path, query or user"),
        ("https://sqs.example.com/?a=b", "no path, query or user"),
        ("https://user:pw@sqs.example.com", "no path, query or user"),
        ("https://sqs.example.com#top", "no path, query or user"),
        ("https://sqs.example.com:99999", "not a URL"),
    ],
)
def test_public_url_refuses_what_is_not_a_base_url(given: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        public_url(given)


def test_trusted_proxies_are_networks() -> None:
    assert trusted_proxies("10.0.0.0/8, 127.0.0.1,::1,") == (
        "10.0.0.0/8",
        "127.0.0.1/32",
        "::1/128",
    )
    assert trusted_proxies("10.1.2.3/8") == ("10.0.0.0/8",)  # host bits are forgiven
    with pytest.raises(
        ValueError, match=re.escape("not an IP address or CIDR block: 'proxy.local'")
    ):
        trusted_proxies("10.0.0.0/8,proxy.local")


FORWARDED = {
    "host": "10.0.0.9:9324",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "sqs.example.com:8443",
    "x-forwarded-for": "203.0.113.7",
}


def test_a_trusted_peers_headers_are_believed() -> None:
    edge = Edge(None, trusted_proxies("10.0.0.0/8"))
    assert edge.view("10.0.0.2", FORWARDED, tls=False) == View(
        "203.0.113.7", True, "https://sqs.example.com:8443"
    )


def test_an_untrusted_peers_headers_are_ignored() -> None:
    edge = Edge(None, trusted_proxies("10.0.0.0/8"))
    assert edge.view("192.0.2.50", FORWARDED, tls=False) == View(
        "192.0.2.50", False, "http://10.0.0.9:9324"
    )
    # No trusted proxies at all (the default): nobody's are.
    assert Edge(None, ()).view("10.0.0.2", FORWARDED, tls=True) == View(
        "10.0.0.2", True, "https://10.0.0.9:9324"
    )


def test_the_public_url_wins_over_host_and_forwarded_host() -> None:
    edge = Edge("https://queues.example.org", trusted_proxies("10.0.0.0/8"))
    view = edge.view("10.0.0.2", {**FORWARDED, "x-forwarded-proto": "http"}, tls=False)
    # The URL is the configured one; how this request travelled still decides SecureTransport.
    assert view == View("203.0.113.7", False, "https://queues.example.org")


def test_the_client_is_the_nearest_untrusted_hop() -> None:
    edge = Edge(None, trusted_proxies("10.0.0.0/8"))
    # The client wrote "1.1.1.1" itself; 198.51.100.4 reached the first trusted proxy (10.0.0.3).
    chain = {"host": "h", "x-forwarded-for": "1.1.1.1, 198.51.100.4, 10.0.0.3"}
    assert edge.view("10.0.0.2", chain, tls=False).client == "198.51.100.4"
    # Every hop trusted: the leftmost.
    inside = {"host": "h", "x-forwarded-for": "10.9.9.9, 10.0.0.3"}
    assert edge.view("10.0.0.2", inside, tls=False).client == "10.9.9.9"
    # Ports and brackets are dropped; a hop that is no address stops the walk.
    ported = {"host": "h", "x-forwarded-for": "[2001:db8::5]:4711"}
    assert edge.view("10.0.0.2", ported, tls=False).client == "2001:db8::5"
    v4_port = {"host": "h", "x-forwarded-for": "198.51.100.4:5000"}
    assert edge.view("10.0.0.2", v4_port, tls=False).client == "198.51.100.4"
    hidden = {"host": "h", "x-forwarded-for": "unknown, 10.0.0.3"}
    assert edge.view("10.0.0.2", hidden, tls=False).client == "10.0.0.3"
    # No X-Forwarded-For: the proxy is the client as far as densho knows.
    assert edge.view("10.0.0.2", {"host": "h"}, tls=False).client == "10.0.0.2"


def test_the_nearest_proxys_proto_and_host_count_and_bad_ones_are_ignored() -> None:
    edge = Edge(None, trusted_proxies("127.0.0.1"))
    # Appended values: the trusted proxy's own is the last.
    appended = {"host": "h:1", "x-forwarded-proto": "https, http", "x-forwarded-host": "a, b:2"}
    assert edge.view("127.0.0.1", appended, tls=True).base_url == "http://b:2"
    for host in ("evil.example/path?", "a@b", "a b", ""):
        bent = {"host": "h:1", "x-forwarded-proto": "gopher", "x-forwarded-host": host}
        assert edge.view("127.0.0.1", bent, tls=False).base_url == "http://h:1"
    # An IPv4 peer seen through an IPv6 socket is the same peer.
    assert edge.view("::ffff:127.0.0.1", FORWARDED, tls=False).secure
