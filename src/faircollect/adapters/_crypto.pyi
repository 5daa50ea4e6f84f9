# Buffers are anything with the buffer protocol (bytes, NumPy arrays, Arrow buffers): checked
# at run time by the extension; typed as object because NumPy's arrays do not declare Buffer
# before Python 3.12.
def hex_digests(
    key: bytes | None, prefix: bytes, data: object, offsets: object, chars: int, /
) -> bytes: ...
def gcm_seal(
    key: bytes,
    nonces: bytes,
    aad_prefix: bytes,
    aad: object,
    aad_offsets: object,
    data: object,
    offsets: object,
    /,
) -> bytes: ...
