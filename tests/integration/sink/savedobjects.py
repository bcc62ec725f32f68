#!/usr/bin/env python3
"""savedobjects.py - what 40_sink_examples.sh knows about OpenSearch
Dashboards saved objects, so that examples/opensearch/dashboards.ndjson can
be checked without a Dashboards server (none can be obtained on the test
machine).

  savedobjects.py check NDJSON FIELDS
      The file as the Dashboards 2.x _import API and the apps that open the
      objects would take it.  One line per defect on stdout and exit 1; on
      success the charted fields, one per line.
  savedobjects.py requests NDJSON FIELDS FROM TO
      Each visualization as the _search its chart sends for the time range
      FROM..TO: one JSON line {"vis", "index" (the index pattern's title),
      "aggs": [{"id", "type", "field"}] (its bucket aggs), "body"}.  What
      cannot be translated faithfully is an error (exit 1), never skipped,
      so a chart that uses more than this knows is not reported as checked.

FIELDS is the template's mapping as "field<TAB>type" lines.

The rules below follow OpenSearch Dashboards 2.x, each where it is enforced:
- import (src/core/server/saved_objects/import): objects are type, id,
  attributes, references; (type, id) pairs must be unique in a file
  (here ids are unique across types as well);
  references to index-patterns and searches must exist.  Every object runs
  every migration (migrationVersion {}), so panelsJSON must not look like a
  6.x panel (migrate_to_730_panels rescales those by panel "version").
- the saved-objects index is `dynamic: strict`, so an attribute the type's
  mapping lacks fails the import (index-pattern alone is `dynamic: false`).
- opening: a visualization's searchSourceJSON.indexRefName and a dashboard
  panel's panelRefName are looked up by name among the object's references
  ("Could not find reference" otherwise).
- requests (src/plugins/data/common/search/aggs): enabled bucket aggs nest
  in their order, metrics last and only at the deepest level unless the
  table shows partial rows or metrics at all levels; a count metric is the
  bucket's doc_count; terms ordered by a count metric sorts on _count and
  its missing bucket is `missing: "__missing__"`, for string fields only;
  an "auto" date_histogram interval aims at 50 buckets (histogram:barTarget)
  with the bounds of calc_auto_interval.ts, at most 100 (histogram:maxBars).
"""
import json
import sys
from datetime import datetime

GRID_COLUMNS = 48  # DASHBOARD_GRID_COLUMN_COUNT
BAR_TARGET, MAX_BARS = 50, 100

# attributes each type's mapping has; None: `dynamic: false`, anything goes
ATTRIBUTES = {
    "index-pattern": None,
    "visualization": {"title", "description", "kibanaSavedObjectMeta", "savedSearchRefName",
                      "uiStateJSON", "version", "visState"},
    "dashboard": {"title", "description", "hits", "kibanaSavedObjectMeta", "optionsJSON",
                  "panelsJSON", "refreshInterval", "timeFrom", "timeRestore", "timeTo", "version"},
    "search": {"title", "description", "hits", "columns", "sort", "version",
               "kibanaSavedObjectMeta"},
}
# attributes stored as JSON text, with the JSON type they must hold
JSON_TEXT = {
    "index-pattern": {"fields": list, "fieldFormatMap": dict, "sourceFilters": list},
    "visualization": {"visState": dict, "uiStateJSON": dict},
    "dashboard": {"panelsJSON": list, "optionsJSON": dict},
    "search": {},
}
# schemas each vis type registers (vis_type_vislib, vis_type_table, ...)
POINT_SERIES = {"metric", "radius", "segment", "group", "split"}
VIS_SCHEMAS = {
    "histogram": POINT_SERIES, "horizontal_bar": POINT_SERIES, "line": POINT_SERIES,
    "area": POINT_SERIES, "table": {"metric", "bucket", "split"},
    "pie": {"metric", "segment", "split"}, "metric": {"metric", "group"},
}
AGGREGATABLE = {"keyword", "long", "integer", "short", "byte", "double", "float",
                "date", "date_nanos", "ip", "boolean"}
DATES = {"date", "date_nanos"}
METRICS = {"count", "cardinality", "min", "max", "avg", "sum"}
BUCKETS = {"terms", "date_histogram"}

MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000}
# calc_auto_interval.ts: (bound, interval) pairs, descending
AUTO_BOUNDS = [(float("inf"), "1y"), (365 * MS["d"], "1M"), (3 * MS["w"], "1w"),
               (MS["w"], "1d"), (24 * MS["h"], "12h"), (6 * MS["h"], "3h"), (2 * MS["h"], "1h"),
               (45 * MS["m"], "30m"), (20 * MS["m"], "10m"), (9 * MS["m"], "5m"),
               (3 * MS["m"], "1m"), (45 * MS["s"], "30s"), (15 * MS["s"], "10s"),
               (7.5 * MS["s"], "5s"), (5 * MS["s"], "1s"), (500, "100ms")]


class Bad(Exception):
    pass


def parse_json_text(obj, key, value, want):
    """The parsed value of a JSON-text attribute; Bad if it does not parse to want."""
    if not isinstance(value, str):
        raise Bad(f"{obj}: {key} is not a string of JSON")
    try:
        parsed = json.loads(value)
    except ValueError as e:
        raise Bad(f"{obj}: {key} does not parse: {e}")
    if not isinstance(parsed, want):
        raise Bad(f"{obj}: {key} is not a JSON {want.__name__}")
    return parsed


def load(path):
    """The file's objects, each line checked for what import needs."""
    objs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                raise Bad(f"line {n}: not JSON: {e}")
            if not isinstance(o, dict):
                raise Bad(f"line {n}: not an object")
            for k, t in (("id", str), ("type", str), ("attributes", dict), ("references", list)):
                if not isinstance(o.get(k), t) or (t is str and not o[k]):
                    raise Bad(f"line {n}: no {k} ({t.__name__})")
            objs.append(o)
    return objs


def name(o):
    return f"{o['type']}:{o['id']}"


def check_common(o, problems):
    """Attributes the type's strict mapping knows, JSON texts that parse, sane references."""
    t, a = o["type"], o["attributes"]
    if t not in ATTRIBUTES:
        problems.append(f"{name(o)}: type this test does not know (add its rules)")
        return
    if not isinstance(a.get("title"), str) or not a["title"]:
        problems.append(f"{name(o)}: no title")
    if ATTRIBUTES[t] is not None:
        extra = sorted(set(a) - ATTRIBUTES[t])
        if extra:
            problems.append(f"{name(o)}: attributes {extra} are not in the {t} mapping (strict)")
    for key, want in JSON_TEXT[t].items():
        if key in a:
            try:
                parse_json_text(name(o), key, a[key], want)
            except Bad as e:
                problems.append(str(e))
    meta = a.get("kibanaSavedObjectMeta")
    # the dashboard 7.3.0 migration and the visualize app both read it
    if meta is None and t != "index-pattern":
        problems.append(f"{name(o)}: no kibanaSavedObjectMeta.searchSourceJSON")
    elif meta is not None:
        if not isinstance(meta, dict) or "searchSourceJSON" not in meta:
            problems.append(f"{name(o)}: kibanaSavedObjectMeta without searchSourceJSON")
        else:
            try:
                parse_json_text(name(o), "searchSourceJSON", meta["searchSourceJSON"], dict)
            except Bad as e:
                problems.append(str(e))
    seen = set()
    for r in o["references"]:
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) and r[k]
                                              for k in ("name", "type", "id")):
            problems.append(f"{name(o)}: reference {r} lacks name, type or id")
            continue
        if r["name"] in seen:
            problems.append(f"{name(o)}: reference name {r['name']} twice")
        seen.add(r["name"])


def search_source(o):
    """The parsed searchSourceJSON, {} when there is none (check_common saw it parse)."""
    meta = o["attributes"].get("kibanaSavedObjectMeta") or {}
    return json.loads(meta.get("searchSourceJSON", "{}"))


def refs_by_name(o):
    return {r["name"]: r for r in o["references"] if isinstance(r, dict) and "name" in r}


def check_references(o, byid, used, problems):
    """Every reference resolves in the file; every one is used by name."""
    for r in o["references"]:
        if not isinstance(r, dict) or "type" not in r or "id" not in r:
            continue
        target = byid.get((r["type"], r.get("id")))
        if target is None:
            problems.append(f"{name(o)}: reference {r.get('name')} -> {r['type']}:{r['id']}"
                            " is not in the file")
        if r.get("name") not in used:
            problems.append(f"{name(o)}: reference {r.get('name')} is used by nothing")


def check_index_pattern(o, byid, fields, problems):
    tf = o["attributes"].get("timeFieldName")
    if tf is not None and fields.get(tf) not in DATES:
        problems.append(f"{name(o)}: time field {tf} is {fields.get(tf) or 'unmapped'} in the template")
    check_references(o, byid, set(), problems)


def check_field_formats(o, fields, problems):
    """fieldFormatMap: formats of mapped fields; a url format's template uses {{value}}."""
    text = o["attributes"].get("fieldFormatMap")
    if text is None:
        return
    for field, fmt in json.loads(text).items():
        if field not in fields:
            problems.append(f"{name(o)}: format for {field}, which the template does not map")
        if not isinstance(fmt, dict) or not isinstance(fmt.get("id"), str):
            problems.append(f"{name(o)}: format for {field} has no id")
        elif fmt["id"] == "url" and "{{value}}" not in (fmt.get("params") or {}).get("urlTemplate", ""):
            problems.append(f"{name(o)}: url format for {field} has no {{{{value}}}} in its urlTemplate")


def check_search(o, byid, fields, problems):
    """A saved search (Discover): its columns mapped, its sort on sortable fields."""
    a = o["attributes"]
    for c in a.get("columns", []):
        if c != "_source" and c not in fields:
            problems.append(f"{name(o)}: column {c} is not mapped in the template")
    for srt in a.get("sort", []):
        if not (isinstance(srt, list) and len(srt) == 2 and srt[1] in ("asc", "desc")):
            problems.append(f"{name(o)}: sort {srt} is not [field, asc|desc]")
        elif fields.get(srt[0]) not in AGGREGATABLE:
            problems.append(f"{name(o)}: sorts on {srt[0]}, which is not sortable")
    refs = refs_by_name(o)
    ref = search_source(o).get("indexRefName")
    if ref not in refs or refs[ref]["type"] != "index-pattern":
        problems.append(f"{name(o)}: indexRefName {ref} names no index-pattern reference")
    check_references(o, byid, {ref}, problems)


def check_visualization(o, byid, fields, problems, charted):
    a = o["attributes"]
    try:
        vis = parse_json_text(name(o), "visState", a.get("visState"), dict)
        parse_json_text(name(o), "uiStateJSON", a.get("uiStateJSON", "{}"), dict)
        ss = search_source(o)
    except Bad as e:
        problems.append(str(e))
        return
    refs = refs_by_name(o)
    used = set()
    ref = ss.get("indexRefName")
    if ref is None and "savedSearchRefName" not in a:
        problems.append(f"{name(o)}: searchSourceJSON has no indexRefName (chart has no index)")
    elif ref is not None:
        used.add(ref)
        if ref not in refs:
            problems.append(f"{name(o)}: indexRefName {ref} is no reference name")
        elif refs[ref]["type"] != "index-pattern":
            problems.append(f"{name(o)}: indexRefName {ref} is a {refs[ref]['type']}")
    if "savedSearchRefName" in a:
        used.add(a["savedSearchRefName"])
    for flt in ss.get("filter", []):
        if isinstance(flt, dict) and "indexRefName" in flt.get("meta", {}):
            used.add(flt["meta"]["indexRefName"])
    check_references(o, byid, used, problems)
    vtype = vis.get("type")
    if vtype not in VIS_SCHEMAS:
        problems.append(f"{name(o)}: vis type {vtype} is not one this test knows")
        return
    if not isinstance(vis.get("params"), dict) or not isinstance(vis.get("aggs"), list):
        problems.append(f"{name(o)}: visState without params or aggs")
        return
    if vis["params"].get("type", vtype) != vtype:
        problems.append(f"{name(o)}: params.type {vis['params']['type']} != {vtype}")
    ids = set()
    for agg in vis["aggs"]:
        check_agg(o, vtype, agg, ids, fields, problems, charted)
    metrics = {g.get("id") for g in vis["aggs"] if g.get("schema") == "metric"}
    if not metrics:
        problems.append(f"{name(o)}: no metric agg")
    axes = {ax.get("id") for ax in vis["params"].get("valueAxes", [])}
    for sp in vis["params"].get("seriesParams", []):
        if sp.get("data", {}).get("id") not in metrics:
            problems.append(f"{name(o)}: seriesParams data.id {sp.get('data')} is no metric agg")
        if sp.get("valueAxis") not in axes:
            problems.append(f"{name(o)}: seriesParams valueAxis {sp.get('valueAxis')} is no axis")


def check_agg(o, vtype, agg, ids, fields, problems, charted):
    if not isinstance(agg, dict) or not isinstance(agg.get("params", {}), dict):
        problems.append(f"{name(o)}: agg {agg} is not an object with params")
        return
    aid = agg.get("id")
    if not isinstance(aid, str) or aid in ids:
        problems.append(f"{name(o)}: agg id {aid!r} missing, not a string or repeated")
    ids.add(aid)
    if agg.get("schema") not in VIS_SCHEMAS[vtype]:
        problems.append(f"{name(o)}: agg {aid} schema {agg.get('schema')} is no {vtype} schema")
    if agg.get("type") not in METRICS | BUCKETS:
        problems.append(f"{name(o)}: agg {aid} type {agg.get('type')} is not one this test knows")
    field = agg.get("params", {}).get("field")
    if field is None:
        if agg.get("type") != "count":
            problems.append(f"{name(o)}: agg {aid} ({agg.get('type')}) has no field")
        return
    charted.add(field)
    ftype = fields.get(field)
    if ftype not in AGGREGATABLE:
        problems.append(f"{name(o)}: agg {aid} field {field} is {ftype or 'unmapped'} in the template")
    elif agg.get("type") == "date_histogram" and ftype not in DATES:
        problems.append(f"{name(o)}: agg {aid} date_histogram on {field}, a {ftype}")


def check_dashboard(o, byid, problems):
    a = o["attributes"]
    try:
        panels = parse_json_text(name(o), "panelsJSON", a.get("panelsJSON"), list)
    except Bad as e:
        problems.append(str(e))
        return
    refs = refs_by_name(o)
    used, indexes, cells = set(), set(), {}
    if not panels:
        problems.append(f"{name(o)}: no panels")
    for p in panels:
        pi = p.get("panelIndex") if isinstance(p, dict) else None
        if not isinstance(pi, str) or pi in indexes:
            problems.append(f"{name(o)}: panel {p} has no panelIndex string, or a repeated one")
            continue
        indexes.add(pi)
        check_panel(o, p, pi, refs, used, cells, problems)
    ss = search_source(o)
    for flt in ss.get("filter", []):
        if isinstance(flt, dict) and "indexRefName" in flt.get("meta", {}):
            used.add(flt["meta"]["indexRefName"])
    check_references(o, byid, used, problems)


def check_panel(o, p, pi, refs, used, cells, problems):
    what = f"{name(o)}: panel {pi}"
    rn = p.get("panelRefName")
    if rn not in refs:
        problems.append(f"{what}: panelRefName {rn} is no reference name")
    else:
        used.add(rn)
        if refs[rn]["type"] not in ("visualization", "search"):
            problems.append(f"{what}: panel shows a {refs[rn]['type']}")
    v = p.get("version")
    parts = v.split(".") if isinstance(v, str) else []
    if len(parts) != 3 or not all(x.isdigit() for x in parts):
        problems.append(f"{what}: version {v!r} is not x.y.z")
    elif int(parts[0]) == 6 or (int(parts[0]) == 7 and int(parts[1]) < 3):
        problems.append(f"{what}: version {v} makes the 7.3.0 migration rescale the panel")
    if not isinstance(p.get("embeddableConfig", {}), dict):
        problems.append(f"{what}: embeddableConfig is not an object")
    g = p.get("gridData")
    if not isinstance(g, dict) or not all(isinstance(g.get(k), int) for k in "xywh"):
        problems.append(f"{what}: gridData {g} lacks integer x, y, w, h")
        return
    if g.get("i") != pi:
        problems.append(f"{what}: gridData.i {g.get('i')!r} != panelIndex")
    if g["x"] < 0 or g["y"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > GRID_COLUMNS:
        problems.append(f"{what}: gridData {g} is off the {GRID_COLUMNS}-column grid")
        return
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                problems.append(f"{what}: overlaps panel {cells[(x, y)]}")
                return
            cells[(x, y)] = pi


def read_fields(path):
    fields = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, _, t = line.rstrip("\n").partition("\t")
            fields[k] = t
    return fields


def check(objs, fields):
    """Problems found, and the fields the visualizations chart."""
    problems, charted = [], set()
    byid, ids = {}, set()
    for o in objs:
        if o["id"] in ids:
            problems.append(f"{name(o)}: id {o['id']} is used twice")
        ids.add(o["id"])
        byid[(o["type"], o["id"])] = o
        check_common(o, problems)
    if problems:
        return problems, charted
    for o in objs:
        if o["type"] == "index-pattern":
            check_index_pattern(o, byid, fields, problems)
            check_field_formats(o, fields, problems)
        elif o["type"] == "search":
            check_search(o, byid, fields, problems)
        elif o["type"] == "visualization":
            check_visualization(o, byid, fields, problems, charted)
        elif o["type"] == "dashboard":
            check_dashboard(o, byid, problems)
    if sum(o["type"] == "dashboard" for o in objs) != 1:
        problems.append("not exactly one dashboard")
    return problems, charted


# ---- the _search a visualization sends ---------------------------------

def interval_dsl(interval, duration_ms):
    """date_histogram interval parameter for a visState interval."""
    if interval == "auto":
        per = duration_ms / BAR_TARGET
        pick = None
        for i, (bound, _) in enumerate(AUTO_BOUNDS):
            if bound <= per:
                pick = AUTO_BOUNDS[i - 1][1]
                break
        if pick is None:
            pick = f"{max(int(per), 1)}ms"
        if duration_ms / to_ms(pick) > MAX_BARS:
            raise Bad(f"auto interval {pick} gives more than {MAX_BARS} bars (scaling not translated)")
        interval = pick
    unit = interval.lstrip("0123456789")
    value = int(interval[:len(interval) - len(unit)] or 1)
    if unit in ("d", "w", "M", "y") and value == 1:
        return {"calendar_interval": f"1{unit}"}
    if unit in MS and unit != "w":
        return {"fixed_interval": f"{value}{unit}"}
    raise Bad(f"interval {interval} not translated")


def to_ms(iv):
    unit = iv.lstrip("0123456789")
    n = int(iv[:len(iv) - len(unit)] or 1)
    return n * {"M": 30 * MS["d"], "y": 365 * MS["d"]}.get(unit, MS.get(unit, 0))


def bucket_dsl(agg, metrics, fields, duration_ms):
    p, t = agg["params"], agg["type"]
    if t == "date_histogram":
        if p.get("extended_bounds") or p.get("drop_partials"):
            raise Bad(f"date_histogram {agg['id']}: extended_bounds/drop_partials not translated")
        body = {"field": p["field"], "time_zone": "UTC", "min_doc_count": p.get("min_doc_count", 1)}
        body.update(interval_dsl(p.get("interval", "auto"), duration_ms))
        return {"date_histogram": body}, {}
    if p.get("otherBucket") or p.get("include") or p.get("exclude") or p.get("orderAgg"):
        raise Bad(f"terms {agg['id']}: otherBucket/include/exclude/orderAgg not translated")
    body = {"field": p["field"], "size": p.get("size", 5)}
    direction = p.get("order", "desc")
    direction = direction.get("value", "desc") if isinstance(direction, dict) else direction
    order_by, sub = p.get("orderBy", "_count"), {}
    target = metrics.get(order_by)
    if order_by == "_key" or (target is None and order_by == "_count"):
        body["order"] = {order_by: direction}
    elif target is None:
        raise Bad(f"terms {agg['id']}: orderBy {order_by} is no metric of the chart")
    elif target["type"] == "count":
        body["order"] = {"_count": direction}
    else:
        body["order"] = {order_by: direction}
        sub[order_by] = metric_dsl(target)
    if p.get("missingBucket") and fields.get(p["field"]) == "keyword":
        body["missing"] = "__missing__"
    return {"terms": body}, sub


def metric_dsl(agg):
    return {agg["type"]: {"field": agg["params"]["field"]}}


def query_dsl(ss, timefield, frm, to):
    filters = [{"range": {timefield: {"gte": frm, "lte": to, "format": "strict_date_optional_time"}}}]
    q = ss.get("query", {})
    text = q.get("query", "")
    if text not in ("", {}):
        if q.get("language") != "lucene":
            raise Bad(f"{q.get('language')} query {text!r} not translated")
        filters.append({"query_string": {"query": text}})
    for flt in ss.get("filter", []):
        if not flt.get("meta", {}).get("disabled"):
            raise Bad("searchSourceJSON filters not translated")
    return {"bool": {"filter": filters}}


def request(o, byid, fields, frm, to, duration_ms):
    vis = json.loads(o["attributes"]["visState"])
    ss = search_source(o)
    ref = refs_by_name(o)[ss["indexRefName"]]
    ip = byid[(ref["type"], ref["id"])]["attributes"]
    aggs = [g for g in vis["aggs"] if g.get("enabled", True)]
    metrics = {g["id"]: g for g in aggs if g["type"] in METRICS}
    buckets = [g for g in aggs if g["type"] in BUCKETS]
    params = vis["params"]
    all_levels = vis["type"] == "table" and (params.get("showPartialRows") or
                                             params.get("showMetricsAtAllLevels"))
    own = {i: metric_dsl(g) for i, g in metrics.items() if g["type"] != "count"}
    top = level = {}
    report = []
    for n, agg in enumerate(buckets):
        dsl, sub = bucket_dsl(agg, metrics, fields, duration_ms)
        report.append({"id": agg["id"], "type": agg["type"], "field": agg["params"]["field"]})
        last = n == len(buckets) - 1
        if all_levels or last:
            sub = {**own, **sub}
        if sub:
            dsl["aggs"] = dict(sub)
        level[agg["id"]] = dsl
        if not last:
            level = dsl.setdefault("aggs", {})
    if not buckets:
        top.update(own)
    body = {"size": 0, "track_total_hits": True,
            "query": query_dsl(ss, ip["timeFieldName"], frm, to), "aggs": top}
    return {"vis": o["id"], "index": ip["title"], "aggs": report, "body": body}


def epoch_ms(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000


def main(argv):
    if len(argv) not in (4, 6) or argv[1] not in ("check", "requests"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        objs = load(argv[2])
        fields = read_fields(argv[3])
        problems, charted = check(objs, fields)
        if problems:
            print("\n".join(problems))
            return 1
        if argv[1] == "check":
            print("\n".join(sorted(charted)))
            return 0
        if len(argv) != 6:
            raise Bad("requests needs FROM and TO")
        byid = {(o["type"], o["id"]): o for o in objs}
        duration = epoch_ms(argv[5]) - epoch_ms(argv[4])
        for o in objs:
            if o["type"] == "visualization":
                print(json.dumps(request(o, byid, fields, argv[4], argv[5], duration)))
    except (Bad, OSError) as e:
        print(e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
