/* finding.c - the finding type's JSON form and its strict validation.
 *
 * Validation is written out by hand against the schema in finding_schema()
 * rather than by a general JSON Schema engine: the schema is small and
 * fixed, and hand checks give precise reasons ("techniques[1].id") that end
 * up in the invalid_output diagnostics.  Anything an LLM writes is
 * untrusted: lengths and counts are bounded before copying. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "finding.h"

static const char *const tactics[] = {
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
    NULL,
};

const char *const *finding_tactics(void)
{
    return tactics;
}

int tactic_valid(const char *t)
{
    for (int i = 0; tactics[i] != NULL; i++)
        if (strcmp(tactics[i], t) == 0)
            return 1;
    return 0;
}

static const char schema_text[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"summary\",\"severity\",\"techniques\",\"indicators\",\"next_steps\",\"confidence\"],"
    "\"properties\":{"
    "\"summary\":{\"type\":\"string\",\"maxLength\":600},"
    "\"severity\":{\"type\":\"string\",\"enum\":[\"info\",\"low\",\"medium\",\"high\",\"critical\"]},"
    "\"techniques\":{\"type\":\"array\",\"maxItems\":8,\"items\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"required\":[\"id\",\"name\",\"tactic\"],\"properties\":{"
    /* [.] rather than \\. : llama.cpp's grammar converter emits "\." which
     * its own grammar parser then rejects */
    "\"id\":{\"type\":\"string\",\"pattern\":\"^T[0-9]{4}([.][0-9]{3})?$\"},"
    "\"name\":{\"type\":\"string\",\"maxLength\":80},"
    "\"tactic\":{\"type\":\"string\",\"enum\":[\"reconnaissance\",\"resource-development\","
    "\"initial-access\",\"execution\",\"persistence\",\"privilege-escalation\",\"defense-evasion\","
    "\"credential-access\",\"discovery\",\"lateral-movement\",\"collection\",\"command-and-control\","
    "\"exfiltration\",\"impact\"]}}}},"
    "\"indicators\":{\"type\":\"array\",\"maxItems\":8,\"items\":{\"type\":\"string\",\"maxLength\":300}},"
    "\"next_steps\":{\"type\":\"array\",\"maxItems\":8,\"items\":{\"type\":\"string\",\"maxLength\":300}},"
    "\"confidence\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}}}";

const char *finding_schema(void)
{
    return schema_text;
}

void finding_free(finding *f)
{
    free(f->summary);
    for (int i = 0; i < f->nind; i++)
        free(f->indicators[i]);
    for (int i = 0; i < f->nnext; i++)
        free(f->next[i]);
    memset(f, 0, sizeof *f);
}

static int copy_list(char **dst, char *const *src, int n)
{
    for (int i = 0; i < n; i++)
        if ((dst[i] = strdup(src[i])) == NULL)
            return -1;
    return 0;
}

int finding_copy(finding *dst, const finding *src)
{
    *dst = *src;
    dst->summary = NULL;
    dst->nind = dst->nnext = 0;
    if ((dst->summary = strdup(src->summary ? src->summary : "")) == NULL)
        goto fail;
    dst->nind = src->nind; /* on failure the strdup'ed prefix and NULLs are freed */
    memset(dst->indicators, 0, sizeof dst->indicators);
    if (copy_list(dst->indicators, src->indicators, src->nind) < 0)
        goto fail;
    dst->nnext = src->nnext;
    memset(dst->next, 0, sizeof dst->next);
    if (copy_list(dst->next, src->next, src->nnext) < 0)
        goto fail;
    return 0;
fail:
    finding_free(dst);
    return -1;
}

/* --- serialise ------------------------------------------------------------ */

static json_t *string_list(char *const *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *tech_list(const finding *f)
{
    json_t *a = json_array();
    for (int i = 0; a && i < f->ntech; i++) {
        json_t *t = json_pack("{s:s,s:s,s:s}", "id", f->tech[i].id, "name", f->tech[i].name,
                              "tactic", f->tech[i].tactic);
        if (t == NULL || json_array_append_new(a, t) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

char *finding_to_json(const finding *f)
{
    json_t *o = json_pack("{s:s,s:s,s:o*,s:o*,s:o*,s:f}", "summary", f->summary ? f->summary : "",
                          "severity", sev_name(f->severity), "techniques", tech_list(f),
                          "indicators", string_list(f->indicators, f->nind), "next_steps",
                          string_list(f->next, f->nnext), "confidence", f->confidence);
    if (o == NULL)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/* --- parse and validate ------------------------------------------------------ */

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return -1;                                                                                 \
    } while (0)

static int get_string(json_t *o, const char *key, size_t max, const char **out, char *err,
                      size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        FAIL("%s: missing or not a string", key);
    if (json_string_length(v) > max)
        FAIL("%s: longer than %zu", key, max);
    *out = json_string_value(v);
    return 0;
}

static int parse_tech(json_t *t, technique *out, int i, char *err, size_t errlen)
{
    const char *id, *name, *tactic;
    if (!json_is_object(t) || json_object_size(t) != 3)
        FAIL("techniques[%d]: not {id,name,tactic}", i);
    if (get_string(t, "id", 15, &id, err, errlen) < 0 ||
        get_string(t, "name", sizeof out->name - 1, &name, err, errlen) < 0 ||
        get_string(t, "tactic", sizeof out->tactic - 1, &tactic, err, errlen) < 0)
        return -1;
    if (!technique_id_valid(id))
        FAIL("techniques[%d].id: \"%.20s\" is not an ATT&CK id", i, id);
    if (!tactic_valid(tactic))
        FAIL("techniques[%d].tactic: unknown tactic \"%.40s\"", i, tactic);
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->tactic, sizeof out->tactic, "%s", tactic);
    return 0;
}

static int parse_list(json_t *o, const char *key, char **v, int *n, char *err, size_t errlen)
{
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a))
        FAIL("%s: missing or not an array", key);
    if (json_array_size(a) > FINDING_MAX_LIST)
        FAIL("%s: more than %d items", key, FINDING_MAX_LIST);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s) || json_string_length(s) > FINDING_MAX_ITEM)
            FAIL("%s[%zu]: not a string of at most %d bytes", key, i, FINDING_MAX_ITEM);
        if ((v[*n] = strdup(json_string_value(s))) == NULL)
            FAIL("out of memory");
        (*n)++;
    }
    return 0;
}

static int parse_fields(json_t *o, finding *f, char *err, size_t errlen)
{
    const char *summary, *sev;
    if (!json_is_object(o))
        FAIL("reply is not a JSON object");
    if (json_object_size(o) != 6)
        FAIL("reply must have exactly the 6 schema fields");
    if (get_string(o, "summary", FINDING_MAX_SUMMARY, &summary, err, errlen) < 0)
        return -1;
    if (summary[0] == '\0')
        FAIL("summary: empty");
    if (get_string(o, "severity", 16, &sev, err, errlen) < 0)
        return -1;
    if ((f->severity = sev_parse(sev)) < 0)
        FAIL("severity: unknown value \"%.16s\"", sev);
    json_t *c = json_object_get(o, "confidence");
    if (!json_is_number(c) || json_number_value(c) < 0 || json_number_value(c) > 1)
        FAIL("confidence: not a number from 0 to 1");
    f->confidence = json_number_value(c);
    json_t *t = json_object_get(o, "techniques");
    if (!json_is_array(t) || json_array_size(t) > FINDING_MAX_TECH)
        FAIL("techniques: not an array of at most %d", FINDING_MAX_TECH);
    for (size_t i = 0; i < json_array_size(t); i++, f->ntech++)
        if (parse_tech(json_array_get(t, i), &f->tech[i], (int)i, err, errlen) < 0)
            return -1;
    if (parse_list(o, "indicators", f->indicators, &f->nind, err, errlen) < 0)
        return -1;
    if (parse_list(o, "next_steps", f->next, &f->nnext, err, errlen) < 0)
        return -1;
    if ((f->summary = strdup(summary)) == NULL)
        FAIL("out of memory");
    return 0;
}

int finding_from_json(const char *json, size_t len, finding *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) {
        snprintf(err, errlen, "not JSON: %s", je.text);
        return -1;
    }
    int rc = parse_fields(o, out, err, errlen);
    json_decref(o);
    if (rc < 0)
        finding_free(out);
    return rc;
}
