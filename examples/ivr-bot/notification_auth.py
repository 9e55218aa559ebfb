"""Validation of the token Graph puts on each notification (the Authorization header).

Graph signs notifications with keys published at an OpenID configuration
(https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration); the token's issuer is
https://api.botframework.com and its audience the bot's app id. Anything else is refused.
"""

import json
import logging
import ssl
import urllib.request
from typing import Optional

import jwt

log = logging.getLogger("ivr.auth")


class NotificationAuthError(Exception):
    """Why a notification's token was refused (safe to log: no token in it)."""


class NotificationValidator:
    def __init__(self, openid_config_url: str, issuer: str, audience: str, ca_file: Optional[str],
                 broken: Optional[str] = None):
        self.broken = broken  # a broken variant of the example (IVR_BROKEN), for must-fail specs
        self.issuer = issuer
        self.audience = audience
        self.ssl_context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        with urllib.request.urlopen(openid_config_url, timeout=10, context=self.ssl_context) as r:
            config = json.load(r)
        self.jwks_uri = config["jwks_uri"]
        # PyJWKClient caches the keys and refetches when a token names an unknown `kid`.
        self.keys = jwt.PyJWKClient(self.jwks_uri, cache_keys=True, ssl_context=self.ssl_context)
        self.keys.get_jwk_set()  # fail at start, not on the first call, when keys are unreachable

    def validate(self, authorization: Optional[str]) -> dict:
        """Returns the token's claims, or raises NotificationAuthError."""
        if not authorization:
            raise NotificationAuthError("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotificationAuthError("the Authorization header is not a Bearer token")
        try:
            key = self.keys.get_signing_key_from_jwt(token.strip())
            options = {"require": ["exp", "iss", "aud"]}
            if self.broken == "no-signature-check":
                # The bug: the key is looked up by `kid`, the claims checked, the signature not.
                options.update(verify_signature=False, verify_exp=True, verify_nbf=True,
                               verify_iss=True, verify_aud=True)
            return jwt.decode(
                token.strip(),
                key.key,
                algorithms=["RS256"],
                issuer=None if self.broken == "no-issuer-check" else self.issuer,
                audience=self.audience,
                options=options,
            )
        except jwt.PyJWKClientError as e:
            raise NotificationAuthError(f"no published key signed it ({e})") from None
        except jwt.InvalidTokenError as e:
            raise NotificationAuthError(f"{type(e).__name__}: {e}") from None
