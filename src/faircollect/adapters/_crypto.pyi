from collections.abc import Buffer

def hex_digests(
    key: bytes | None, prefix: bytes, data: Buffer, offsets: Buffer, chars: int, /
) -> bytes: ...
def gcm_seal(
    key: bytes,
    nonces: bytes,
    aad_prefix: bytes,
    aad: Buffer,
    aad_offsets: Buffer,
    data: Buffer,
    offsets: Buffer,
    /,
) -> bytes: ...
