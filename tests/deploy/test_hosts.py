"""The host files of a static build (deploy/hosts.py): Netlify and Cloudflare Pages
`_headers`, and S3's object metadata, each held to what `clientside serve` sends for the
same URL, file by file, plain and cross-origin isolated, for one model and for several."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from clientside import create_app
from clientside.cli import main
from clientside.deploy.static_site import build

SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")
ISOLATION = ("Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy")


def parse_headers_file(text: str) -> list[tuple[re.Pattern, list[tuple[str, str | None]]]]:
    """_headers as Netlify and Cloudflare Pages read it: a path line, then indented
    `Name: value` lines (`! Name` drops what an earlier rule set); `*` matches anything,
    `:name` one path segment."""
    rules: list[tuple[re.Pattern, list[tuple[str, str | None]]]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            assert line.count("*") <= 1, f"{line}: Cloudflare takes one splat per rule"
            pattern = re.escape(line).replace(r"\*", ".*")
            pattern = re.sub(r":[a-z]+", "[^/]+", pattern)
            rules.append((re.compile(pattern + "$"), []))
            continue
        body = line.strip()
        if body.startswith("! "):
            rules[-1][1].append((body[2:], None))
        else:
            name, value = body.split(": ", 1)
            rules[-1][1].append((name, value))
    return rules


def host_headers(rules, path: str) -> dict[str, str]:
    """The headers a host sends for path: every matching rule, in order."""
    out: dict[str, str] = {}
    for pattern, lines in rules:
        if pattern.match(path):
            for name, value in lines:
                if value is None:
                    out.pop(name, None)
                elif name in out and name != "Cache-Control":
                    out[name] += ", " + value
                else:
                    out[name] = value
    return out


def url_of(key: str) -> str:
    """The URL a host serves a file of the site at (a folder's index.html at the folder)."""
    return "/" + key.removesuffix("index.html")


def site_files(site):
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                  if p.is_file() and p.suffix not in (".gz", ".br") and not p.name.startswith("_"))


@pytest.mark.parametrize("isolate", [False, True], ids=["plain", "isolated"])
@pytest.mark.parametrize("several", [False, True], ids=["one model", "two models"])
def test_host_files_send_what_the_app_sends(small_bundle, tmp_path, isolate, several):
    bundles = [small_bundle]
    if several:
        other = tmp_path / "other"
        shutil.copytree(small_bundle, other)
        meta = json.loads((other / "clientside.json").read_text())
        (other / "clientside.json").write_text(json.dumps({**meta, "name": "other"}))
        bundles.append(other)
    site = build(bundles, tmp_path / "site", isolate=isolate)
    rules = parse_headers_file((site / "_headers").read_text())
    s3 = json.loads((site / "_s3-metadata.json").read_text())
    objects = {o["key"]: o for o in s3["objects"]}
    keys = site_files(site)
    assert sorted(objects) == keys  # every object of the site, and nothing else
    assert any(k.endswith(".wasm") for k in keys) and any("/model/" in f"/{k}" for k in keys)
    client = create_app(bundles if several else small_bundle, isolate=isolate).test_client()
    checked = 0
    for key in keys:
        url = url_of(key)
        # the build shares one assets/ folder among its models; the app serves each model's
        app_url = f"/models/small{url}" if several and key.startswith("assets/") else url
        response = client.get(app_url, headers={"Accept-Encoding": "gzip"})
        response.close()  # a shard is streamed from its file
        assert response.status_code == 200, url  # sw.js's body differs (the build's own list), not its headers
        host = host_headers(rules, url)
        sent = response.headers
        assert host["Cache-Control"] == sent["Cache-Control"] == objects[key]["cache_control"], url
        for name in SECURITY + (ISOLATION if isolate else ()):
            assert host[name] == sent[name] == s3["response_headers"][name], (url, name)
        if not isolate:
            assert not set(ISOLATION) & set(host) and not set(ISOLATION) & set(sent)
        assert objects[key]["content_type"] == sent["Content-Type"], url
        gzip = (site / f"{key}.gz").is_file()
        assert objects[key].get("content_encoding") == ("gzip" if gzip else None), key
        assert objects[key]["file"] == (f"{key}.gz" if gzip else key) and (site / objects[key]["file"]).is_file()
        checked += 1
    assert checked == len(keys) > 20


def test_build_isolate_from_the_cli(small_bundle, tmp_path, runner):
    result = runner.invoke(main, ["build", str(small_bundle), str(tmp_path / "site"), "--isolate"])
    assert result.exit_code == 0, result.output
    headers = (tmp_path / "site" / "_headers").read_text()
    assert "Cross-Origin-Embedder-Policy: require-corp" in headers
    assert "Cross-Origin-Opener-Policy: same-origin" in headers
    plain = runner.invoke(main, ["build", str(small_bundle), str(tmp_path / "plain")])
    assert plain.exit_code == 0 and "Cross-Origin" not in (tmp_path / "plain" / "_headers").read_text()
