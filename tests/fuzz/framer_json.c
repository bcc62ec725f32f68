/* framer_json.c - fuzz target: the JSON framer (common/codec/framer.c,
 * FRAMER_JSON), which cuts Tetragon's export and pasted pretty-printed
 * objects into records.  The oracle is in framer_check.h: the same records
 * however the stream is chunked, each true to the stream's bytes. */
#include "framer_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    framer_fuzz(FRAMER_JSON, data, size);
    return 0;
}
