"""HTTPS pushes go to the address that was checked, yet verify the certificate by name."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from callrec.push.delivery import deliver
from callrec.store.push_batches import ClaimedBatch
from tests.push.receiver import Receiver, receiver_handler
from tests.push.support import SECRET, fast_settings


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for "localhost", made in-process: no openssl binary needed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[tuple[Receiver, int]]:
    receiver = Receiver(secret=SECRET)
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver_handler(receiver))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _batch(url: str) -> ClaimedBatch:
    return ClaimedBatch(
        workspace_id=1, batch_number=1, workspace="acme", time_zone="UTC", url=url,
        secret=SECRET, delivery_id="d-1", attempt=1, lease_token="t", rows=[],
    )  # fmt: skip


def _send(url: str, trusted: Path) -> tuple[bool, str | None]:
    async def go() -> tuple[bool, str | None]:
        client_context = ssl.create_default_context(cafile=str(trusted))
        async with httpx.AsyncClient(verify=client_context, trust_env=False) as client:
            result = await deliver(client, _batch(url), b"[]", fast_settings())
        return result.delivered, result.error

    return asyncio.run(go())


def test_the_certificate_is_checked_against_the_urls_host_name(
    tls_receiver: tuple[Receiver, int], certificate: tuple[Path, Path]
) -> None:
    receiver, port = tls_receiver
    # The connection goes to 127.0.0.1 (the checked address) with SNI and Host "localhost".
    assert _send(f"https://localhost:{port}/hook", certificate[0]) == (True, None)
    [push] = receiver.pushes
    assert push.headers["Host"] == f"localhost:{port}"
    assert push.signature_valid is True
    # The same server reached by its address: the name "127.0.0.1" is not on the certificate.
    delivered, error = _send(f"https://127.0.0.1:{port}/hook", certificate[0])
    assert delivered is False
    assert error is not None
    assert "certificate" in error.lower()
