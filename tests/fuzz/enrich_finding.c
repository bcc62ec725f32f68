/* enrich_finding.c - fuzz target: the LLM reply parser and validator
 * (enrich/finding.c: finding_from_json).
 *
 * What an LLM writes is untrusted twice over: the model can be steered by
 * the event text it explains (prompt injection), and a proxy or a broken
 * server can return anything.  The input is the reply.  Checks besides the sanitizers: every
 * accepted finding respects the schema's bounds, and serialises to JSON
 * that the validator accepts again and that serialises the same (what the
 * cache stores and reads back). */
#include "fuzz.h"

#include <string.h>
#include "../../enrich/finding.h"

static void check_bounds(const finding *f)
{
    FUZZ_CHECK(f->summary != NULL && f->summary[0] != '\0');
    FUZZ_CHECK(strlen(f->summary) <= FINDING_MAX_SUMMARY);
    FUZZ_CHECK(f->severity >= SEV_INFO && f->severity <= SEV_CRITICAL);
    FUZZ_CHECK(f->confidence >= 0 && f->confidence <= 1);
    FUZZ_CHECK(f->ntech >= 0 && f->ntech <= FINDING_MAX_TECH);
    FUZZ_CHECK(f->nind >= 0 && f->nind <= FINDING_MAX_LIST);
    FUZZ_CHECK(f->nnext >= 0 && f->nnext <= FINDING_MAX_LIST);
    for (int i = 0; i < f->ntech; i++) {
        FUZZ_CHECK(technique_id_valid(f->tech[i].id));
        FUZZ_CHECK(tactic_valid(f->tech[i].tactic));
    }
    for (int i = 0; i < f->nind; i++)
        FUZZ_CHECK(strlen(f->indicators[i]) <= FINDING_MAX_ITEM);
    for (int i = 0; i < f->nnext; i++)
        FUZZ_CHECK(strlen(f->next[i]) <= FINDING_MAX_ITEM);
}

/* Serialise f, validate that again, serialise once more: same text. */
static void round_trip(const finding *f)
{
    char err[256];
    finding back;
    check_bounds(f);
    char *text = finding_to_json(f);
    FUZZ_CHECK(text != NULL);
    if (finding_from_json(text, strlen(text), &back, err, sizeof(err)) != 0) {
        fprintf(stderr, "rejected its own serialisation: %s\n%s\n", err, text);
        abort();
    }
    char *again = finding_to_json(&back);
    FUZZ_CHECK(again != NULL && strcmp(text, again) == 0);
    free(again);
    free(text);
    finding_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    finding f;
    err[0] = '\0';
    if (finding_from_json((const char *)data, size, &f, err, sizeof(err)) == 0) {
        round_trip(&f);
        finding_free(&f);
    } else {
        FUZZ_CHECK(err[0] != '\0' && f.summary == NULL && f.nind == 0 && f.nnext == 0);
    }
    return 0;
}
