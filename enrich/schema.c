/* schema.c - the requested reply shape as JSON Schema and as GBNF; see
 * schema.h.
 *
 * Both are generated from the same few facts (the severity names from
 * rules.c, the tactic names from finding.c, the SCHEMA_ASK_* bounds) so the
 * two languages cannot drift apart.  The grammar is written for llama.cpp's
 * parser as it is: bounded repetition with {m,n} (which its JSON Schema
 * converter in llama-cpp-python does not use: it nests one optional group
 * per character), no escapes in the string rule, and the keys in the
 * order finding.c serialises them. */
#include <stdlib.h>
#include "util/buf.h"
#include "finding.h"
#include "rules.h"
#include "schema.h"

_Static_assert(SCHEMA_ASK_SUMMARY <= FINDING_MAX_SUMMARY, "asked summary must validate");
_Static_assert(SCHEMA_ASK_ITEM <= FINDING_MAX_ITEM, "asked items must validate");
_Static_assert(SCHEMA_ASK_NAME < sizeof(((technique *)0)->name), "asked names must fit");
_Static_assert(SCHEMA_ASK_TECH <= FINDING_MAX_TECH, "asked techniques must validate");
_Static_assert(SCHEMA_ASK_LIST <= FINDING_MAX_LIST, "asked lists must validate");

/* --- JSON Schema ------------------------------------------------------------- */

static json_t *string_of(int max, int bounds)
{
    if (bounds == SCHEMA_NO_MAXLENGTH)
        return json_pack("{s:s}", "type", "string");
    return json_pack("{s:s,s:i,s:i}", "type", "string", "minLength", 1, "maxLength", max);
}

static json_t *list_of(json_t *item, int max)
{
    return json_pack("{s:s,s:i,s:o}", "type", "array", "maxItems", max, "items", item);
}

static json_t *severity_enum(void)
{
    json_t *names = json_array();
    for (int s = SEV_INFO; names && s <= SEV_CRITICAL; s++)
        if (json_array_append_new(names, json_string(sev_name(s))) < 0) {
            json_decref(names);
            return NULL;
        }
    return json_pack("{s:s,s:o*}", "type", "string", "enum", names);
}

static json_t *tactic_enum(void)
{
    json_t *names = json_array();
    for (const char *const *t = finding_tactics(); names && *t; t++)
        if (json_array_append_new(names, json_string(*t)) < 0) {
            json_decref(names);
            return NULL;
        }
    return json_pack("{s:s,s:o*}", "type", "string", "enum", names);
}

static json_t *technique_schema(int bounds)
{
    /* [.] rather than \\. : llama.cpp's converter writes "\." which its own
     * grammar parser then rejects */
    return json_pack("{s:s,s:b,s:[sss],s:{s:{s:s,s:s},s:o*,s:o*}}", "type", "object",
                     "additionalProperties", 0, "required", "id", "name", "tactic", "properties",
                     "id", "type", "string", "pattern", "^T[0-9]{4}([.][0-9]{3})?$", "name",
                     string_of(SCHEMA_ASK_NAME, bounds), "tactic", tactic_enum());
}

/* The finding's properties into props, in finding.c's order. */
static int finding_props(json_t *props, int bounds)
{
    return json_object_set_new(props, "summary", string_of(SCHEMA_ASK_SUMMARY, bounds)) |
           json_object_set_new(props, "severity", severity_enum()) |
           json_object_set_new(props, "techniques",
                               list_of(technique_schema(bounds), SCHEMA_ASK_TECH)) |
           json_object_set_new(props, "indicators",
                               list_of(string_of(SCHEMA_ASK_ITEM, bounds), SCHEMA_ASK_LIST)) |
           json_object_set_new(props, "next_steps",
                               list_of(string_of(SCHEMA_ASK_ITEM, bounds), SCHEMA_ASK_LIST)) |
           json_object_set_new(
               props, "confidence",
               json_pack("{s:s,s:i,s:i}", "type", "number", "minimum", 0, "maximum", 1));
}

/* One finding: every property required, no other allowed. */
json_t *schema_json(int bounds)
{
    json_t *props = json_object();
    json_t *o = json_pack("{s:s,s:b,s:[],s:o*}", "type", "object", "additionalProperties", 0,
                          "required", "properties", props);
    json_t *req = json_object_get(o, "required");
    int rc = o ? 0 : -1;
    if (rc == 0)
        rc = finding_props(props, bounds);
    const char *key;
    json_t *v;
    json_object_foreach(props, key, v)
        if (rc == 0)
            rc = json_array_append_new(req, json_string(key));
    if (rc < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* --- GBNF ------------------------------------------------------------------- */

/* A JSON key and its colon as a GBNF literal: "\"key\":" */
#define KEY(k) "\"\\\"" k "\\\":\" sp "

/* one grammar rule a line, by hand */
/* clang-format off */
static const char gbnf_body[] =
    "body ::= " KEY("summary") "summary \",\" sp " KEY("severity") "severity \",\" sp "
    KEY("techniques") "techniques \",\" sp " KEY("indicators") "list \",\" sp "
    KEY("next_steps") "list \",\" sp " KEY("confidence") "confidence sp \"}\"\n"
    "technique ::= \"{\" sp " KEY("id") "tid \",\" sp " KEY("name") "tname \",\" sp "
    KEY("tactic") "tactic sp \"}\"\n"
    "tid ::= \"\\\"T\" [0-9]{4} (\".\" [0-9]{3})? \"\\\"\"\n"
    "confidence ::= \"0\" (\".\" [0-9]{1,2})? | \"1\" (\".0\")?\n"
    "ch ::= [ !#-\\[\\]-~]\n"
    "sp ::= \" \"?\n";
/* clang-format on */

/* name ::= "\"a\"" | "\"b\"" ... */
static int put_alternatives(buf *b, const char *name, const char *const *v, size_t n)
{
    if (buf_printf(b, "%s ::= ", name) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (buf_printf(b, "%s\"\\\"%s\\\"\"", i ? " | " : "", v[i]) < 0)
            return -1;
    return buf_putc(b, '\n');
}

static int put_enums(buf *b)
{
    const char *sev[SEV_CRITICAL];
    size_t nt = 0;
    for (int s = SEV_INFO; s <= SEV_CRITICAL; s++)
        sev[s - SEV_INFO] = sev_name(s);
    while (finding_tactics()[nt])
        nt++;
    return put_alternatives(b, "severity", sev, SEV_CRITICAL) < 0 ||
                   put_alternatives(b, "tactic", finding_tactics(), nt) < 0
               ? -1
               : 0;
}

static int put_bounded(buf *b)
{
    return buf_printf(b, "summary ::= \"\\\"\" ch{1,%d} \"\\\"\"\n", SCHEMA_ASK_SUMMARY) < 0 ||
                   buf_printf(b, "tname ::= \"\\\"\" ch{1,%d} \"\\\"\"\n", SCHEMA_ASK_NAME) < 0 ||
                   buf_printf(b, "item ::= \"\\\"\" ch{1,%d} \"\\\"\"\n", SCHEMA_ASK_ITEM) < 0 ||
                   buf_printf(
                       b, "techniques ::= \"[\" sp (technique (\",\" sp technique){0,%d})? \"]\"\n",
                       SCHEMA_ASK_TECH - 1) < 0 ||
                   buf_printf(b, "list ::= \"[\" sp (item (\",\" sp item){0,%d})? \"]\"\n",
                              SCHEMA_ASK_LIST - 1) < 0
               ? -1
               : 0;
}

char *schema_gbnf(void)
{
    buf b = BUF_INIT;
    if (buf_puts(&b, "root ::= \"{\" sp body\n") < 0 || buf_puts(&b, gbnf_body) < 0 ||
        put_bounded(&b) < 0 || put_enums(&b) < 0) {
        buf_free(&b);
        return NULL;
    }
    return b.p;
}
