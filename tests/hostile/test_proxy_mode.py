"""Replays of the proxy-mode attacks (issue 18, item 4) against a real `tokenomics serve`, spoken to the way an
attacker would: raw WebSocket handshakes to Streamlit's /_stcore/stream with hand-made headers, no browser.

Each connection asks Streamlit to run the app once and collects what it renders: the refusal, or who the
sidebar says is signed in."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

SECRET = "proxy-secret-0123456789abcdef"
ADMIN = "admin@example.com"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path, env: dict, args=()):
    access = tmp_path / "access.yaml"
    access.write_text(yaml.safe_dump({"users": {"Admin@Example.COM": {"role": "admin"}}}))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tokenomics.cli", "--db", str(tmp_path / "wh.duckdb"), "serve",
                             "--port", str(port), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "TOKENOMICS_AUTH": "proxy", "TOKENOMICS_ACCESS_FILE": str(access),
                                 **env})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, port
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"tokenomics serve exited: {proc.stderr.read().decode()}")
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not start")


def _stop(proc):
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def secret_server(tmp_path_factory):
    proc, port = _start(tmp_path_factory.mktemp("secret"), {"TOKENOMICS_PROXY_SECRET": SECRET})
    yield port
    _stop(proc)


def rendered(port: int, headers: list[tuple[str, str]], host: str = "127.0.0.1", timeout: float = 60) -> list[str]:
    """Run the app once over a raw WebSocket with exactly these header lines; the alert/markdown texts it sends."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    texts = []
    with connect(f"ws://{host}:{port}/_stcore/stream", subprotocols=["streamlit"], additional_headers=headers,
                 open_timeout=10) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_script_hash = ""
        ws.send(back.SerializeToString())
        deadline = time.time() + timeout
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(0.1, deadline - time.time())))
            if msg.WhichOneof("type") == "script_finished":
                return texts
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") in ("alert", "markdown"):
                    texts.append(getattr(element, element.WhichOneof("type")).body)


def _signed_in(texts):
    return [t for t in texts if t.startswith("Signed in as")]


def test_the_real_proxy_gets_in(secret_server):
    # sanity for every refusal below: with the secret and one identity the same server lets the user in,
    # matching the access file's key whatever its letter case
    texts = rendered(secret_server, [("X-Forwarded-Email", ADMIN), ("X-Tokenomics-Proxy-Secret", SECRET)])
    assert _signed_in(texts) == [f"Signed in as **{ADMIN}** (admin)"]


@pytest.mark.parametrize("headers, why", [
    ([("X-Forwarded-Email", ADMIN)], "header is missing"),
    ([("X-Forwarded-Email", ADMIN), ("X-Forwarded-Groups", "platform-admins")], "header is missing"),
    ([("X-Forwarded-Email", ADMIN), ("X-Tokenomics-Proxy-Secret", "guess")], "header is wrong"),
    ([("X-Forwarded-Email", ADMIN), ("X-Tokenomics-Proxy-Secret", SECRET[:-1])], "header is wrong"),
    # a guess riding along with a replayed secret line
    ([("X-Forwarded-Email", ADMIN), ("X-Tokenomics-Proxy-Secret", "guess"), ("X-Tokenomics-Proxy-Secret", SECRET)],
     "sent 2 times"),
    # the user's own forged line that a careless proxy appended to instead of replacing
    ([("X-Forwarded-Email", ADMIN), ("X-Forwarded-Email", "eve@example.com"), ("X-Tokenomics-Proxy-Secret", SECRET)],
     "sent 2 times"),
    ([("X-Forwarded-Email", f"eve@example.com, {ADMIN}"), ("X-Tokenomics-Proxy-Secret", SECRET)],
     "more than one identity"),
], ids=["no-secret", "no-secret-groups", "wrong-secret", "truncated-secret", "secret-twice", "email-twice",
        "email-list"])
def test_forged_identity_is_refused(secret_server, headers, why):
    texts = rendered(secret_server, headers)
    assert not _signed_in(texts), texts
    assert any(t.startswith("Refused:") and why in t for t in texts), texts


def test_forwarded_for_cannot_pose_as_a_trusted_proxy(tmp_path):
    """Address-based trust checks the raw TCP peer: X-Forwarded-For naming a trusted address changes nothing."""
    proc, port = _start(tmp_path, {"TOKENOMICS_TRUSTED_PROXIES": "10.0.0.0/8"})
    try:
        for extra in ([], [("X-Forwarded-For", "10.1.2.3")], [("X-Real-IP", "10.1.2.3")]):
            texts = rendered(port, [("X-Forwarded-Email", ADMIN), *extra])
            assert not _signed_in(texts), texts
            assert any("127.0.0.1 are not from a trusted proxy" in t for t in texts), texts
    finally:
        _stop(proc)


def test_serve_will_not_start_proxy_mode_unprotected(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tokenomics.cli", "--db", str(tmp_path / "wh.duckdb"), "serve",
                          "--port", str(_free_port())], capture_output=True, text=True, timeout=60,
                         env={**{k: v for k, v in os.environ.items()
                                 if k not in ("TOKENOMICS_PROXY_SECRET", "TOKENOMICS_TRUSTED_PROXIES")},
                              "TOKENOMICS_AUTH": "proxy"})
    assert out.returncode == 2
    assert "refusing to start" in out.stderr and "TOKENOMICS_PROXY_SECRET" in out.stderr


def _non_loopback_address() -> str | None:
    """An address of this machine other than loopback (the interface a route out would use), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: UDP connect sends nothing, it only picks the interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_default_bind_is_loopback_only(secret_server):
    """Streamlit serves /media/<hash>.csv downloads and its other routes without any app code: by default
    nothing but this machine can reach them (the proxy is the way in)."""
    assert urllib.request.urlopen(f"http://127.0.0.1:{secret_server}/_stcore/health", timeout=5).status == 200
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    with pytest.raises(OSError):
        with socket.create_connection((address, secret_server), timeout=5):
            pass
