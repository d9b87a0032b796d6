"""The development signing key pair. PUBLIC: it is in this repository.

Only development and test may use it; settings refuse it anywhere else.
"""

DEV_JWT_PRIVATE_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIHJq4DqijHUVrVCoM0BTwbeYHRi2rVGKhNH1LW1sEdUE
-----END PRIVATE KEY-----
"""

DEV_JWT_PUBLIC_JWKS = '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"g9Agllffsxx68rlymtXNhDOujXb6ZLLXWg4rLvjl_Do","kid":"datapark-dev-1","alg":"EdDSA","use":"sig"}]}'

# Signs the relays' audit checkpoints (datapark_eventing.checkpoints) in development and test.
DEV_CHECKPOINT_PRIVATE_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIChEUWvipzNo2Gj2W+yveAk6E5pSCTBiC0A1DVQ1XdU8
-----END PRIVATE KEY-----
"""
DEV_CHECKPOINT_KEY_ID = "datapark-dev-checkpoints-1"
DEV_CHECKPOINT_PUBLIC_JWKS = '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"IR1qJyzNVTZc7zFl1jr_keBjN2VYB3E99aK7ZpaTDho","kid":"datapark-dev-checkpoints-1","alg":"EdDSA","use":"sig"}]}'
