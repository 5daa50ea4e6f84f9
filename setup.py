"""Builds the optional C extension for batch SHA-256 (everything else is in pyproject.toml).

The extension links OpenSSL's libcrypto (libssl-dev). It is optional: if it cannot be built,
installation goes on and faircollect.audit.fasthash uses hashlib instead.
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
        )
    ]
)
