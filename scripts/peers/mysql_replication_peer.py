#!/usr/bin/env python3
"""The benchmark's peer for the MySQL/MariaDB connector: PyPI's mysql-replication reading the binlog (stream) or
PyMySQL reading a table with a plain SELECT (snapshot), each row produced as compact JSON (before, after, op, db,
table; no schema) to Kafka with confluent-kafka, acks=all and idempotence. Exits once every record is acknowledged.

Usage: mysql_replication_peer.py stream HOST PORT FILE POS BOOTSTRAP TOPIC DATABASE
       mysql_replication_peer.py snapshot HOST PORT DATABASE TABLE BOOTSTRAP TOPIC
"""
import json
import sys

import pymysql
from confluent_kafka import Producer


def produce_all(rows, bootstrap, topic):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 20, "compression.type": "none"})
    count = 0
    for key, document in rows:
        while True:
            try:
                producer.produce(topic, key=key, value=document)
                break
            except BufferError:
                producer.poll(0.05)
        count += 1
        if count % 1000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        sys.exit("not every record was acknowledged")
    return count


def compact(value):
    return json.dumps(value, separators=(",", ":"), default=str)


def stream(host, port, file, pos, bootstrap, topic, database):
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    # From a file and position: with is_mariadb=True the library ignores them and starts from a GTID state.
    reader = BinLogStreamReader(
        connection_settings={"host": host, "port": port, "user": "tributary", "passwd": "tributary"},
        server_id=987654, log_file=file, log_pos=pos, resume_stream=True, blocking=False,
        only_schemas=[database],
        only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent])

    def rows():
        for event in reader:
            for row in event.rows:
                if isinstance(event, WriteRowsEvent):
                    before, after, op = None, row["values"], "c"
                elif isinstance(event, UpdateRowsEvent):
                    before, after, op = row["before_values"], row["after_values"], "u"
                else:
                    before, after, op = row["values"], None, "d"
                key = compact({"id": (after or before)["id"]})
                yield key, compact({"before": before, "after": after, "op": op, "db": event.schema,
                                    "table": event.table})

    count = produce_all(rows(), bootstrap, topic)
    reader.close()
    print(count)


def snapshot(host, port, database, table, bootstrap, topic):
    connection = pymysql.connect(host=host, port=port, user="tributary", password="tributary", database=database,
                                 cursorclass=pymysql.cursors.SSDictCursor)

    def rows():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM `{table}`")
            for row in cursor:
                yield compact({"id": row["id"]}), compact({"before": None, "after": row, "op": "r", "db": database,
                                                           "table": table})

    print(produce_all(rows(), bootstrap, topic))


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "stream":
        stream(host, port, sys.argv[4], int(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8])
    else:
        snapshot(host, port, sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7])
