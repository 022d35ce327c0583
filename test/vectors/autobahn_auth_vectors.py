"""Prints the authentication vectors of test/auth_methods_test.cpp, computed by autobahn-python.

Run with the venv scripts/setup.sh makes:  .venv/bin/python test/vectors/autobahn_auth_vectors.py

SCRAM ("scram", Crossbar's dialect, KDF argon2id-13): autobahn's own client (AuthScram) answers a
challenge shaped as Crossbar 26.10.1 makes it (the server nonce is the client nonce's bytes plus
16 more), for a principal made by autobahn's derive_scram_credential (the way Crossbar principals
are made). The server signature is HMAC(server-key, AuthMessage), and the script checks that
autobahn's on_welcome accepts it.

WAMP-CRA: autobahn's compute_wcs and derive_key, unsalted and salted.
"""

import base64
import binascii
import hashlib
import hmac
from types import SimpleNamespace

from autobahn.wamp import auth
from autobahn.wamp.types import Challenge

AUTHID = "alice"
PASSWORD = "correct horse"
CLIENT_NONCE_BYTES = bytes(range(16))
SERVER_NONCE_BYTES = CLIENT_NONCE_BYTES + bytes(range(100, 116))
SALT = bytes(range(200, 216))


def scram_vector():
    credential = auth.derive_scram_credential(AUTHID, PASSWORD, salt=SALT)
    client = auth.AuthScram(authid=AUTHID, password=PASSWORD)
    client._client_nonce = base64.b64encode(CLIENT_NONCE_BYTES).decode("ascii")
    challenge = Challenge(
        "scram",
        {
            "nonce": base64.b64encode(SERVER_NONCE_BYTES).decode("ascii"),
            "kdf": credential["kdf"],
            "salt": base64.b64encode(SALT).decode("ascii"),
            "iterations": credential["iterations"],
            "memory": credential["memory"],
        },
    )
    proof = client.on_challenge(None, challenge).decode("ascii")
    server_key = binascii.a2b_hex(credential["server-key"])
    server_signature = base64.b64encode(
        hmac.new(server_key, client._auth_message, hashlib.sha256).digest()
    ).decode("ascii")
    # on_welcome logs through the session; only its log is needed here.
    session = SimpleNamespace(log=SimpleNamespace(info=lambda *a, **k: None, error=lambda *a, **k: None))
    assert client.on_welcome(session, {"scram_server_signature": server_signature}) is None
    print("scram client nonce:", client._client_nonce)
    print("scram challenge extra:", challenge.extra)
    print("scram client proof:", proof)
    print("scram server signature:", server_signature)


def wampcra_vectors():
    challenge = '{"authid": "alice", "nonce": "8EHpI3Ic7bWaigZB", "timestamp": "2024-01-01T00:00:00.000Z"}'
    print("wampcra challenge:", challenge)
    print("wampcra plain signature (secret 'secret123'):",
          auth.compute_wcs(b"secret123", challenge.encode("utf8")).decode("ascii"))
    key = auth.derive_key(b"secret123", "salt123", 100, 16)
    print("wampcra derived key (salt 'salt123', 100 iterations, keylen 16):", key.decode("ascii"))
    print("wampcra salted signature:", auth.compute_wcs(key, challenge.encode("utf8")).decode("ascii"))
    default_key = auth.derive_key(b"secret123", "salt123")
    print("wampcra derived key (defaults: 1000 iterations, keylen 32):", default_key.decode("ascii"))


scram_vector()
wampcra_vectors()
