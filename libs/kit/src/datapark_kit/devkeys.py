"""The development signing key pair. PUBLIC: it is in this repository.

Only development and test may use it; settings refuse it anywhere else.
"""

DEV_JWT_PRIVATE_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIHJq4DqijHUVrVCoM0BTwbeYHRi2rVGKhNH1LW1sEdUE
-----END PRIVATE KEY-----
"""

DEV_JWT_PUBLIC_JWKS = '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"g9Agllffsxx68rlymtXNhDOujXb6ZLLXWg4rLvjl_Do","kid":"datapark-dev-1","alg":"EdDSA","use":"sig"}]}'
