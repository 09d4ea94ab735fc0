"""Prints `tributary tail` JSON lines (Debezium change events) as short readable lines."""
import json
import sys

for line in sys.stdin:
    m = json.loads(line)
    topic = m["topic"]
    key = m["key"]["payload"] if m["key"] else None
    if m["value"] is None:
        print(f"{topic:28} key={json.dumps(key)} (tombstone)")
        continue
    p = m["value"]["payload"]
    src = p["source"]
    print(f"{topic:28} op={p['op']} key={json.dumps(key)} txId={src['txId']} lsn={src['lsn']}")
    for side in ("before", "after"):
        if p[side] is not None:
            print(f"{'':28} {side}: {json.dumps(p[side])}")
