/* framer_varint.c - fuzz target: the length-delimited framer
 * (common/codec/framer.c, FRAMER_VARINT), which reads `tetra-capture -F proto`
 * from a pipe: a protobuf varint length, then the message.  The oracle is
 * in framer_check.h: the same records however the stream is chunked, each
 * true to the stream's bytes, and a malformed length stops it for good. */
#include "framer_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    framer_fuzz(FRAMER_VARINT, data, size);
    return 0;
}
