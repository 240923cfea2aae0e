"""Passwords (scrypt) and bearer tokens (JWT, HS256, signed with a per-database secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from functools import lru_cache

import jwt

# RFC 7914's interactive-login parameters: 16 MiB of memory, ~50 ms per hash.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_LIFETIME = 7 * 24 * 3600
VERIFIED_TOKENS = 4096
# Our tokens are about 200 characters; a longer one is refused unread, so that the cache of
# verdicts cannot be filled with 4096 head-sized garbage tokens (64 MiB).
MAX_TOKEN_CHARS = 2048
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))


class TokenSigner:
    def __init__(self, secret: str, lifetime: int = TOKEN_LIFETIME) -> None:
        self.secret = secret
        self.lifetime = lifetime
        # Verifying a JWT is a quarter of a status request's cost; clients poll with the same
        # token, so remember each token's verdict (its expiry is still checked every time).
        self._claims = lru_cache(maxsize=VERIFIED_TOKENS)(self._decode)

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def issue(self, user_id: str, email: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"sub": user_id, "email": email, "iat": issued, "exp": issued + self.lifetime}
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str, now: float | None = None) -> str | None:
        """The user id of a valid, unexpired token signed with our secret; else None."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        claims = self._claims(token)
        if claims is None:
            return None
        subject, expires = claims
        return subject if (time.time() if now is None else now) < expires else None

    def _decode(self, token: str) -> tuple[str, float] | None:
        try:
            claims = jwt.decode(token, self.secret, algorithms=[ALGORITHM],
                                options={"require": ["sub", "exp"], "verify_exp": False})
        except jwt.PyJWTError:
            return None
        subject, expires = claims.get("sub"), claims.get("exp")
        if not isinstance(subject, str) or not isinstance(expires, int | float):
            return None
        return subject, float(expires)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=64 * 1024 * 1024)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
