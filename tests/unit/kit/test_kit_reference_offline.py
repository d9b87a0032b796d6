"""The rendered API reference works behind a firewall: ``/docs`` (Swagger UI) and ``/redoc``
(ReDoc) load every script, style sheet and icon from the service itself, open to anyone
like ``/openapi.json``, and their Content-Security-Policy allows nothing from elsewhere."""

from __future__ import annotations

import base64
import hashlib
import importlib
import re

import httpx
import pytest

from datapark_kit.reference import content_security_policy

SERVICES = ("catalog", "trading", "rental", "subsidy")
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def references(html: str) -> list[str]:
    """Every URL the page loads: ``src``/``href`` attributes, ReDoc's ``spec-url`` and the
    ``url:`` Swagger UI is given."""
    found = re.findall(r'(?:src|href|spec-url)="([^"]*)"', html)
    found += re.findall(r"\burl: '([^']*)'", html)
    return found


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_reference_loads_only_from_its_own_origin(service: str, page: str) -> None:
    app = importlib.import_module(f"datapark_{service}.app").build_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc.test") as client:
        answer = await client.get(page)  # no token: docs are open
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        html = answer.text
        assert "://" not in html, "an absolute URL: the page would reach another origin"
        urls = references(html)
        assert "/openapi.json" in urls
        assets = [url for url in urls if url != "/openapi.json"]
        assert any(url.endswith(".js") for url in assets), urls
        for url in assets:
            assert url.startswith("/"), url
            assert not url.startswith("//"), url
            served = await client.get(url)
            assert served.status_code == 200, url
            kind = ASSET_TYPES[url[url.rindex(".") :]]
            assert served.headers["content-type"].split(";")[0] == kind, url
            assert len(served.content) > 1000, url
            assert served.headers["x-content-type-options"] == "nosniff"
        document = await client.get("/openapi.json")
        assert document.status_code == 200
        assert document.json()["openapi"].startswith("3.1")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in answer.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    sources = policy["script-src"].split()
    assert sources[0] == "'self'"
    assert all(s.startswith("'sha256-") for s in sources[1:]), sources
    for inline in re.findall(r"<script>(.*?)</script>", html, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in sources


def test_the_policy_allows_exactly_the_pages_inline_scripts() -> None:
    policy = content_security_policy("<script src='/a.js'></script><script>go()</script>")
    digest = base64.b64encode(hashlib.sha256(b"go()").digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "script-src 'self';" in content_security_policy("<p>no script</p>")
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
