"""Prints `tributary tail` JSON lines (Debezium change events with their schemas) as short lines a person reads.

Logical types are decoded through the schema: dates as ISO dates, decimals as numbers, timestamps as ISO
instants, times as ISO times. Events of several topics are shown in the order of their changes in the database
(by LSN; a tombstone right after its delete), so it reads the whole input first: it is meant for small outputs.
`--raw` prints each record's key and value payloads exactly as they are in Kafka, as they arrive.
"""
import base64
import datetime
import decimal
import json
import sys

OPS = {"c": "create", "u": "update", "d": "delete", "r": "read", "t": "truncate", "m": "message"}
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def instant(value, per_second):
    whole, frac = divmod(value, per_second)
    t = EPOCH + datetime.timedelta(seconds=whole)
    digits = len(str(per_second)) - 1
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + str(frac).rjust(digits, "0").rstrip("0")
    return text + "Z"


def time_of_day(value, per_second):
    whole, frac = divmod(value, per_second)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    text = f"{h:02}:{m:02}:{s:02}"
    if frac:
        text += "." + str(frac).rjust(len(str(per_second)) - 1, "0").rstrip("0")
    return text


def unscaled(b64):
    return int.from_bytes(base64.b64decode(b64), "big", signed=True)


def decode(schema, value):
    """The value as a person reads it, following the Connect schema's logical type names."""
    if value is None or schema is None:
        return value
    name = schema.get("name", "")
    kind = schema.get("type")
    if kind == "struct":
        if name == "io.debezium.data.VariableScaleDecimal":
            return decimal.Decimal(unscaled(value["value"])).scaleb(-value["scale"])
        return {f["field"]: decode(f, value.get(f["field"])) for f in schema.get("fields", [])}
    if kind == "array":
        return [decode(schema.get("items"), v) for v in value]
    if name in ("org.apache.kafka.connect.data.Date", "io.debezium.time.Date"):
        return (EPOCH + datetime.timedelta(days=value)).date().isoformat()
    if name == "org.apache.kafka.connect.data.Decimal" and isinstance(value, str):
        return decimal.Decimal(unscaled(value)).scaleb(-int(schema["parameters"]["scale"]))
    if name in ("org.apache.kafka.connect.data.Timestamp", "io.debezium.time.Timestamp"):
        return instant(value, 1000)
    if name == "io.debezium.time.MicroTimestamp":
        return instant(value, 1_000_000)
    if name == "io.debezium.time.NanoTimestamp":
        return instant(value, 1_000_000_000)
    if name in ("org.apache.kafka.connect.data.Time", "io.debezium.time.Time"):
        return time_of_day(value, 1000)
    if name == "io.debezium.time.MicroTime":
        return time_of_day(value, 1_000_000)
    if name == "io.debezium.time.NanoTime":
        return time_of_day(value, 1_000_000_000)
    return value


def text(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(text(v) for v in value) + "]"
    if isinstance(value, decimal.Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def readable(envelope):
    """Decodes a converter envelope {schema, payload}, or a bare payload (schemas.enable=false)."""
    if isinstance(envelope, dict) and set(envelope) == {"schema", "payload"}:
        return decode(envelope["schema"], envelope["payload"])
    return envelope


def main():
    raw = "--raw" in sys.argv[1:]
    records = []
    for line in sys.stdin:
        m = json.loads(line)
        topic = m["topic"]
        if raw:
            key = m["key"]["payload"] if isinstance(m["key"], dict) and "payload" in m["key"] else m["key"]
            value = m["value"]["payload"] if isinstance(m["value"], dict) and "payload" in m["value"] else m["value"]
            print(json.dumps({"topic": topic, "key": key, "value": value}, ensure_ascii=False))
            continue
        records.append(m)
    previous = {}
    ordered = []
    for i, m in enumerate(records):
        where = (m["topic"], m["partition"])
        if m["value"] is None:
            position = previous.get(where, (0, i)) + (1,)
        else:
            position = (readable(m["value"])["source"].get("lsn") or 0, i, 0)
        previous[where] = position[:2]
        ordered.append((position, m))
    for _, m in sorted(ordered, key=lambda p: p[0]):
        show(m)


def show(m):
    topic = m["topic"]
    key = readable(m["key"])
    if m["value"] is None:
        print(f"{topic:26} tombstone  key={text(key)}")
        return
    event = readable(m["value"])
    source = event["source"]
    if event["op"] == "r":
        where = f"snapshot={source.get('snapshot')}"
    else:
        transaction = f"txId={source.get('txId')}" if "txId" in source else f"gtid={source.get('gtid')}"
        where = f"{transaction} committed={instant(source['ts_ms'], 1000)}"
    print(f"{topic:26} {OPS.get(event['op'], event['op']):9}  key={text(key)}  {where}")
    for side in ("before", "after"):
        if event.get(side) is not None:
            print(f"{'':26} {side + ':':9}  {text(event[side])}")

if __name__ == "__main__":
    main()
