# Packet codecs: plain functions over (buf, off), one module per protocol.
# Nothing here keeps state or allocates on the per-packet path.
