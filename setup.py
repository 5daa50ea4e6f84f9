"""Builds the optional C extensions (everything else is in pyproject.toml): batch SHA-256 for
the audit log, batch digests and AES-GCM seals for the tape import.

They link OpenSSL's libcrypto (libssl-dev). They are optional: if one cannot be built,
installation goes on and faircollect.audit.fasthash / faircollect.adapters.batch_crypto use
hashlib, hmac and cryptography instead.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "faircollect.audit._sha",
            sources=["src/faircollect/audit/_sha.c"],
            libraries=["crypto"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "faircollect.adapters._crypto",
            sources=["src/faircollect/adapters/_crypto.c"],
            libraries=["crypto"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
    ]
)
