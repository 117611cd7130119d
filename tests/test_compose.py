"""docker-compose.yml must validate with a real compose binary (no engine needed for `config`)."""

import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    binary = shutil.which("docker-compose")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose binary missing in CI (.ci/run installs it)")
        pytest.skip("docker-compose not installed")
    out = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_compose_file_validates():
    services = _config()["services"]
    assert {"app", "scheduler", "minio", "postgres"} <= set(services)
    for name in ("app", "minio", "postgres"):
        assert "healthcheck" in services[name], name


def test_dashboard_is_reachable_only_through_the_auth_proxy():
    config = _config()
    services, networks = config["services"], config["networks"]
    app, proxy = services["app"], services["auth-proxy"]
    # Streamlit (and its unauthenticated /media/ downloads) is not published; its only network is internal
    assert not app.get("ports")
    assert set(app["networks"]) == {"dashboard"} and networks["dashboard"].get("internal") is True
    assert "--address 0.0.0.0" in " ".join(app["command"])  # inside its network only
    # the proxy: a pinned oauth2-proxy image, the one published port, forwarding to the app
    image, tag = proxy["image"].rsplit(":", 1)
    assert image.endswith("oauth2-proxy/oauth2-proxy") and tag.startswith("v7.") and tag != "latest"
    assert proxy.get("ports") and proxy["environment"]["OAUTH2_PROXY_UPSTREAMS"].startswith("http://app:8501")
    assert proxy["environment"]["OAUTH2_PROXY_PROVIDER"] == "oidc"
    for needed in ("OAUTH2_PROXY_CLIENT_ID", "OAUTH2_PROXY_CLIENT_SECRET", "OAUTH2_PROXY_COOKIE_SECRET",
                   "OAUTH2_PROXY_OIDC_ISSUER_URL"):
        assert needed in proxy["environment"], needed
    assert proxy["environment"]["OAUTH2_PROXY_REVERSE_PROXY"] == "false"  # it is the edge: no X-Forwarded-* in
    # the app believes identity headers only from the proxy's own address on that network
    env = app["environment"]
    assert env["TOKENOMICS_AUTH"] == "proxy"
    proxy_ip = ipaddress.ip_address(proxy["networks"]["dashboard"]["ipv4_address"])
    trusted = [ipaddress.ip_network(c) for c in env["TOKENOMICS_TRUSTED_PROXIES"].replace(",", " ").split()]
    assert any(proxy_ip in net for net in trusted)
    assert not any(ipaddress.ip_address(app["networks"]["dashboard"]["ipv4_address"]) in net for net in trusted)
    for name, service in services.items():  # nothing else on the dashboard network could pose as the proxy
        if name not in ("app", "auth-proxy"):
            assert "dashboard" not in (service.get("networks") or {}), name
