/* output.c - stdout JSON, stdout length-delimited binary, and Kafka backends. */
#include "output.h"
#include "kafka/kafka_out.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct output_ops {
    int (*write)(output *o, const tetra_event *ev, char *err, size_t errlen);
    int (*sync)(output *o, int ms, char *err, size_t errlen);
    uint64_t (*done)(const output *o);
    uint64_t (*flush)(output *o, volatile sig_atomic_t *abort, int *failed, char *err,
                      size_t errlen);
} output_ops;

struct output {
    const output_ops *ops;
    FILE *fp;
    kafka_out *k;
    volatile sig_atomic_t *stop;
    buf b;
    _Atomic uint64_t written; /* read by the metrics thread too */
    uint64_t flushed;
};

int output_kind_parse(const char *s, output_kind *kind)
{
    if (strcmp(s, "json") == 0)
        *kind = OUTPUT_JSON;
    else if (strcmp(s, "proto") == 0)
        *kind = OUTPUT_PROTO;
    else
        return -1;
    return 0;
}

/* --- stdout ---------------------------------------------------------------- */

static int encode_json(output *o, const tetra_event *ev)
{
    buf_reset(&o->b);
    if (pj_encode(&ev->base, &o->b) < 0)
        return -1;
    return buf_putc(&o->b, '\n');
}

/* Binary message into o->b, preceded by its varint length when framed. */
static int encode_proto(output *o, const tetra_event *ev, int framed)
{
    size_t n = protobuf_c_message_get_packed_size(&ev->base);
    buf_reset(&o->b);
    if (framed && buf_put_varint(&o->b, n) < 0)
        return -1;
    if (buf_reserve(&o->b, n + 1) < 0)
        return -1;
    o->b.len += protobuf_c_message_pack(&ev->base, (uint8_t *)o->b.p + o->b.len);
    o->b.p[o->b.len] = '\0';
    return 0;
}

static int stdout_put(output *o, char *err, size_t errlen)
{
    if (fwrite(o->b.p, 1, o->b.len, o->fp) != o->b.len) {
        snprintf(err, errlen, "write to stdout: %s", strerror(errno));
        return -1;
    }
    o->written++;
    return 0;
}

static int json_write(output *o, const tetra_event *ev, char *err, size_t errlen)
{
    if (encode_json(o, ev) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return stdout_put(o, err, errlen);
}

static int proto_write(output *o, const tetra_event *ev, char *err, size_t errlen)
{
    if (encode_proto(o, ev, 1) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return stdout_put(o, err, errlen);
}

static int stdout_sync(output *o, int ms, char *err, size_t errlen)
{
    (void)ms;
    if (fflush(o->fp) != 0) {
        snprintf(err, errlen, "write to stdout: %s", strerror(errno));
        return -1;
    }
    o->flushed = o->written;
    return 0;
}

static uint64_t stdout_done(const output *o)
{
    return o->flushed;
}

static uint64_t stdout_flush(output *o, volatile sig_atomic_t *abort, int *failed, char *err,
                             size_t errlen)
{
    (void)abort;
    if (stdout_sync(o, 0, err, errlen) < 0)
        *failed = 1;
    else if (ferror(o->fp)) {
        snprintf(err, errlen, "write to stdout failed");
        *failed = 1;
    }
    return 0;
}

static const output_ops json_ops = {json_write, stdout_sync, stdout_done, stdout_flush};
static const output_ops proto_ops = {proto_write, stdout_sync, stdout_done, stdout_flush};

/* --- Kafka ------------------------------------------------------------------- */

static int kafka_write(output *o, const tetra_event *ev, char *err, size_t errlen)
{
    if (encode_proto(o, ev, 0) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *kind = event_kind(ev);
    const char *node = ev->node_name;
    kafka_hdr h[2] = {{TETRA_HDR_KIND, kind, kind ? strlen(kind) : 0},
                      {TETRA_HDR_TYPE, TETRA_TYPE_EVENT, strlen(TETRA_TYPE_EVENT)}};
    const kafka_hdr *hp = kind != NULL ? h : h + 1;
    size_t nh = kind != NULL ? 2 : 1;
    int has_key = node != NULL && *node != '\0';
    if (kafka_out_produce(o->k, o->b.p, o->b.len, has_key ? node : NULL, has_key ? strlen(node) : 0,
                          hp, nh, o->stop, err, errlen) != 0)
        return -1;
    o->written++;
    return 0;
}

static int kafka_sync(output *o, int ms, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    kafka_out_poll(o->k, ms);
    return 0;
}

static uint64_t kafka_done(const output *o)
{
    return kafka_out_done(o->k);
}

static uint64_t kafka_flush(output *o, volatile sig_atomic_t *abort, int *failed, char *err,
                            size_t errlen)
{
    (void)failed;
    uint64_t lost = kafka_out_flush(o->k, abort);
    if (lost > 0) {
        const char *why = kafka_out_error(o->k);
        snprintf(err, errlen, "%llu of %llu messages not delivered%s%s", (unsigned long long)lost,
                 (unsigned long long)kafka_out_produced(o->k), *why ? ": " : "", why);
    }
    return lost;
}

static const output_ops kafka_ops = {kafka_write, kafka_sync, kafka_done, kafka_flush};

/* --- the interface ------------------------------------------------------------- */

output *output_open(const output_conf *oc, char *err, size_t errlen)
{
    output *o = calloc(1, sizeof(*o));
    if (o == NULL) {
        if (oc->kconf != NULL)
            rd_kafka_conf_destroy(oc->kconf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->fp = oc->fp;
    o->stop = oc->stop;
    if (oc->kind == OUTPUT_KAFKA) {
        o->ops = &kafka_ops;
        o->k = kafka_out_new(oc->kconf, oc->topic, err, errlen);
        if (o->k == NULL) {
            free(o);
            return NULL;
        }
        return o;
    }
    if (oc->kconf != NULL)
        rd_kafka_conf_destroy(oc->kconf);
    o->ops = oc->kind == OUTPUT_PROTO ? &proto_ops : &json_ops;
    return o;
}

int output_write(output *o, const tetra_event *ev, char *err, size_t errlen)
{
    return o->ops->write(o, ev, err, errlen);
}

int output_sync(output *o, int ms, char *err, size_t errlen)
{
    return o->ops->sync(o, ms, err, errlen);
}

uint64_t output_written(const output *o)
{
    return o->written;
}

uint64_t output_done(const output *o)
{
    return o->ops->done(o);
}

uint64_t output_flush(output *o, volatile sig_atomic_t *abort, int *failed, char *err,
                      size_t errlen)
{
    *failed = 0;
    return o->ops->flush(o, abort, failed, err, errlen);
}

void output_free(output *o)
{
    if (o == NULL)
        return;
    kafka_out_free(o->k);
    buf_free(&o->b);
    free(o);
}
