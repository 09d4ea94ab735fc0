import Converters
import Foundation
import XCTest

@testable import PostgresSource

/// Runs the reference (real Debezium 3.6.3, `../shared/tools/debezium-reference/run`) and Tributary on the same
/// changes and compares the events field for field. Allowed differences, as the reference's README lists them:
/// processing timestamps and `source.version`. Skipped where the reference tool or Java is missing.
final class DebeziumReferenceComparisonTests: XCTestCase {
    static let referenceScript = IntegrationEnvironment.repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/tools/debezium-reference/run").path

    private var slot = ""
    private var referenceSlot = ""
    private var work = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Self.referenceScript) else {
            throw XCTSkip("Debezium reference not found at \(Self.referenceScript)")
        }
        guard ["/usr/bin/java", "/usr/local/bin/java"].contains(where: FileManager.default.isExecutableFile(atPath:))
        else {
            throw XCTSkip("Java is not installed; the reference needs it")
        }
        slot = IntegrationEnvironment.uniqueName("cmp")
        referenceSlot = "ref_" + slot
        work = FileManager.default.temporaryDirectory.appendingPathComponent(slot)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDown() {
        IntegrationEnvironment.dropSlot(slot)
        IntegrationEnvironment.dropSlot(referenceSlot)
        try? FileManager.default.removeItem(at: work)
    }

    /// Every basic type, nulls, defaults, a multi-statement transaction, update, delete, a table without a key.
    /// (`name` columns are left out: Debezium 3.6.3 emits null for them, Tributary the value; see
    /// docs/postgres-types.md.)
    static let changes = [
        "INSERT INTO public.%T (i,b,r,d,n,nu,bo,t,v,c,by,da,ts,ts3,tz,tz0,tz3,req) VALUES (-5, 9007199254740993, 1.5, 0.1, 1234567.891, 3.14159, false, 'h\u{e9}llo \"q\" \\ x \u{1F600}', 'v', 'ab', '\\x00ff10', '2024-02-29', '2024-02-29 13:45:01.123456', '2024-02-29 13:45:01.123', '2024-02-29 13:45:01.123456+02', '2024-02-29 13:45:01+00', '2024-02-29 13:45:01.1+00', 'r1')",
        "INSERT INTO public.%T (i, req) VALUES (NULL, 'r2')",
        "INSERT INTO public.%T (i, r, d, n, nu, da, ts, tz, tz3, req) VALUES (1, 1e10, 1e-7, -0.5, -12345678901234567890.123, '1960-01-01', '1969-12-31 23:59:59.5', '2024-01-01 00:00:00+00', '1900-01-01 00:00:00+00', 'r3')",
        "BEGIN; UPDATE public.%T SET t = 'upd', n = 0 WHERE id = 1; DELETE FROM public.%T WHERE id = 2; INSERT INTO public.%T_nopk VALUES (1, 'x'); COMMIT",
        "INSERT INTO public.\"%T Odd\" VALUES (1, 'odd')",
        "INSERT INTO public.%T (req, ip, net, mac, mac8, tt, tt0, iv, ia, ta, na, dta, tsa, ba, ua, bya, tma) VALUES ('r6', '192.168.1.5/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '13:45:01.123456+02', '01:00:00+02', '1 year 2 mons 3 days 04:05:06.78', '{1,2,NULL}', '{\"a b\",\"c,d\",\"e\\\"f\",NULL,\"NULL\"}', '{1.50,-2.25}', '{2024-02-29}', '{\"2024-02-29 13:45:01.5+00\"}', '{t,f}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{\"\\\\x00ff\",NULL}', '{13:45:01.5}')",
        "INSERT INTO public.%T (req, iv, ia, ta) VALUES ('r7', '-1 day -00:00:01', '{}', '{}')",
        "INSERT INTO public.%T (d, nu, r, s, req) VALUES ('NaN', 'NaN', 'Infinity', -32768, '')",
        "INSERT INTO public.%T (req, tm, tm3, u, j, jb, x, o, n, by, ts) VALUES ('r5', '13:45:01.123456', '23:59:59.999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2]}', '{\"b\": null, \"a\": 1}', '<x a=\"1\">t</x>', 4294967295, -99.5, '\\x', '2024-02-29 13:45:01')",
        // Money, bits, an enum, domains, a point, ranges, hstore, ltree, citext, tsvector (and a box, which Debezium
        // leaves out).
        "INSERT INTO public.%T (req, m, b1, b8, vb, vbn, bz, e, ea, dpi, dmn, pt, i4r, nr, tsr, tzr, dr, i4ra, hs, hsa, lt, lta, ct, cta, tv, bx) VALUES ('r11', '$1,234.56', B'1', B'10100011', B'101', B'10000000001', B'0000', 'happy', '{sad,ok}', 5, 12.5, '(1.5,2)', '[1,5)', '(1.5,2.5]', '[2024-01-01 10:00,2024-01-02 11:00)', '[2024-01-01 10:00+02,2024-01-02 11:00+02)', '[2024-01-01,2024-02-01)', '{\"[1,3)\"}', 'a=>1, \"b c\"=>NULL, d=>\"x\\\"y\", k2=>v2', '{\"a=>1\"}', 'Top.Science', '{a.b,c}', 'MiXeD', '{X,y}', 'a fat cat', '((0,0),(1,2))')",
        "INSERT INTO public.%T (req, m) VALUES ('r12', '-$1,000,000.99')",
        // Large values (stored TOASTed) of many types, then an update that leaves them unchanged: each becomes
        // Debezium's stand-in for its type.
        "INSERT INTO public.%T (req, t, by, j, jb, x, ia, ta, ua, bya, dta, hs, ct, tv, na, ba) SELECT 'toast', r, convert_to(r, 'UTF8'), to_json(r), to_jsonb(r), xmlelement(name a, r), (SELECT array_agg(g) FROM generate_series(1, 5000) g), ARRAY[r, 'b'], (SELECT array_agg(md5(g::text)::uuid) FROM generate_series(1, 1000) g), ARRAY[convert_to(r, 'UTF8')], (SELECT array_agg('2024-01-01'::date + g) FROM generate_series(1, 2000) g), hstore('k', r), r, to_tsvector(r), (SELECT array_agg((g % 900)::numeric(5,2)) FROM generate_series(1, 3000) g), (SELECT array_agg(g % 2 = 0) FROM generate_series(1, 5000) g) FROM (SELECT string_agg(md5(g::text), ' ') AS r FROM generate_series(1, 500) g) s",
        "UPDATE public.%T SET i = 99 WHERE req = 'toast'",
        // Logical decoding messages: one outside any transaction, one inside (binary content).
        "SELECT pg_logical_emit_message(false, 'nt', 'hello')",
        "BEGIN; INSERT INTO public.%T_nopk VALUES (7, 'm'); SELECT pg_logical_emit_message(true, 'tx', '\\x00ff'::bytea); COMMIT",
        // A transaction replicated from elsewhere: its events name the replication origin and its LSN there.
        "SELECT pg_replication_origin_create('%T_o'); SELECT pg_replication_origin_session_setup('%T_o'); BEGIN; SELECT pg_replication_origin_xact_setup('0/ABCDEF', now()); INSERT INTO public.%T_nopk VALUES (8, 'origin'); COMMIT; SELECT pg_replication_origin_session_reset(); SELECT pg_replication_origin_drop('%T_o')",
        // The replica identity switched while streaming: NOTHING (inserts only: PostgreSQL refuses updates then),
        // USING INDEX (a key change sends the old key), FULL (the old row), DEFAULT again.
        "ALTER TABLE public.\"%T Odd\" REPLICA IDENTITY NOTHING",
        "INSERT INTO public.\"%T Odd\" VALUES (3, 'nothing')",
        "CREATE UNIQUE INDEX \"%T_odd_ui\" ON public.\"%T Odd\" (id); ALTER TABLE public.\"%T Odd\" REPLICA IDENTITY USING INDEX \"%T_odd_ui\"",
        "UPDATE public.\"%T Odd\" SET id = 2, \"Mixed Case\" = 'index' WHERE id = 1",
        "ALTER TABLE public.\"%T Odd\" REPLICA IDENTITY FULL",
        "UPDATE public.\"%T Odd\" SET \"Mixed Case\" = 'full' WHERE id = 2",
        "ALTER TABLE public.\"%T Odd\" REPLICA IDENTITY DEFAULT",
        "DELETE FROM public.\"%T Odd\" WHERE id = 2",
    ]
    /// Values PostgreSQL holds that have no ordinary Connect form: each must become an event (as Debezium makes
    /// it), never a stopped connector.
    static let specialValues = [
        // Edges of the newer types: money's extremes, an empty bit string, hstore keys that need escaping, a point
        // of NaN and Infinity, an empty ltree.
        "INSERT INTO public.%T (req, m, vbn, hs, pt, lt) VALUES ('r13', '-92233720368547758.08', B'', hstore(ARRAY['', 'a\"b', 'x\\\\y', '\u{fc}'], ARRAY['e', NULL, 'q\"', '']), '(NaN,Infinity)', '')",
        "INSERT INTO public.%T (req, m, vbn, pt) VALUES ('r14', '92233720368547758.07', B'1', '(-0,1e300)')",
        "INSERT INTO public.%T (nu, n, da, ts, ts3, tz, tz0, tz3, dta, tsa, req) VALUES ('Infinity', 'NaN', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', 'infinity', '{infinity,-infinity,2024-01-01}', '{infinity,-infinity}', 'r8')",
        "INSERT INTO public.%T (nu, da, ts, ts3, tz, tz0, tz3, req) VALUES ('-Infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', '-infinity', 'r9')",
        // (Text arrays are left out: Debezium writes Java object names such as "[Ljava.lang.String;@5291b82b" for
        // their outer elements, Tributary nulls; see docs/postgres-types.md.)
        "INSERT INTO public.%T (ia, na, req) VALUES ('{{1,2},{3,4}}', '{{1.5},{2.5}}', 'r10')",
        // An unchanged TOASTed value under REPLICA IDENTITY FULL: the old row carries it.
        "ALTER TABLE public.%T_nopk REPLICA IDENTITY FULL",
        "INSERT INTO public.%T_nopk SELECT 2, string_agg(md5(g::text), '') FROM generate_series(1, 400) g",
        "UPDATE public.%T_nopk SET a = 3 WHERE a = 2",
    ]
    static let expectedEvents = 34  // 3 inserts, update, delete, tombstone, 4 nopk inserts and an update,
    // odd-name insert, 12 inserts and an update, 2 messages (streaming only: a snapshot reads rows, not messages),
    // on the odd-name table an insert, a key change (3 events), an update, a delete and its tombstone

    /// The same rows read by an initial snapshot (`op: "r"`), every type and special value included.
    func testSnapshotEqualsDebezium() throws {
        try compareWithReference(modes: ["snapshot.mode": "initial"], snapshot: true)
    }

    /// With `skipped.operations=none`, so that a TRUNCATE is an event too, and `include.unknown.datatypes` (the box
    /// column).
    func testTributaryEventsEqualDebeziumEvents() throws {
        try compareWithReference(
            modes: ["skipped.operations": "none", "include.unknown.datatypes": "true"],
            extraChanges: ["TRUNCATE public.%T_nopk, public.\"%T Odd\""],
            extraEvents: 2)
    }

    /// `tributary.pgoutput.binary`: pgoutput sends every value in binary and Tributary renders the server's text
    /// itself; the events must not change (every type of the table, the box column included).
    func testBinaryValuesEqualDebezium() throws {
        try compareWithReference(
            modes: [
                "skipped.operations": "none", "include.unknown.datatypes": "true", "tributary.pgoutput.binary": "true",
            ],
            extraChanges: ["TRUNCATE public.%T_nopk, public.\"%T Odd\""],
            extraEvents: 2)
    }

    /// Binary values in the other handling modes (strings, base64, Connect's temporal types).
    func testBinaryValuesInOtherModesEqualDebezium() throws {
        try compareWithReference(
            modes: [
                "decimal.handling.mode": "string", "time.precision.mode": "connect", "binary.handling.mode": "base64",
                "interval.handling.mode": "string", "hstore.handling.mode": "map", "tributary.pgoutput.binary": "true",
            ])
    }

    /// With transaction metadata too: BEGIN/END records and each event's `transaction` block.
    func testNonDefaultHandlingModesEqualDebezium() throws {
        try compareWithReference(
            modes: [
                "decimal.handling.mode": "string", "time.precision.mode": "connect", "binary.handling.mode": "base64",
                "interval.handling.mode": "string", "provide.transaction.metadata": "true",
                "field.name.adjustment.mode": "avro",
            ], extraEvents: 2 * Self.transactionsWithChanges)
    }

    /// Transforms and predicates on the same events, run by Kafka Connect 4.3 and Debezium in the reference:
    /// Debezium's unwrap (deletes rewritten with `__deleted`, added fields), then Kafka's MaskField and ReplaceField
    /// on the main table only (TopicNameMatches; its name alone ends in a digit), and InsertField on everything
    /// but tombstones (RecordIsTombstone, negated). The rewrite drops the three tombstones.
    func testTransformsEqualDebezium() throws {
        let kafka = "org.apache.kafka.connect.transforms."
        try compareWithReference(
            modes: [
                "transforms": "unwrap,mask,rename,origin",
                "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
                "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
                "transforms.unwrap.add.fields": "op,table,source.db:database",
                "transforms.unwrap.add.headers": "op",
                "transforms.mask.type": kafka + "MaskField$Value", "transforms.mask.fields": "t,i,bo,v",
                "transforms.mask.predicate": "main",
                "transforms.rename.type": kafka + "ReplaceField$Value", "transforms.rename.exclude": "x,jb",
                "transforms.rename.renames": "v:vee,req:required", "transforms.rename.predicate": "main",
                "transforms.origin.type": kafka + "InsertField$Value", "transforms.origin.static.field": "origin",
                "transforms.origin.static.value": "pg", "transforms.origin.topic.field": "topic!",
                "transforms.origin.predicate": "tombstone", "transforms.origin.negate": "true",
                "predicates": "main,tombstone",
                "predicates.main.type": kafka + "predicates.TopicNameMatches",
                "predicates.main.pattern": ".*[0-9]",
                "predicates.tombstone.type": kafka + "predicates.RecordIsTombstone",
            ], extraEvents: -3)
    }

    /// Kafka's Flatten on whole change events: nested rows, the source block, null before/after, messages and
    /// tombstones (which stay tombstones).
    func testFlattenEqualsDebezium() throws {
        try compareWithReference(
            modes: [
                "transforms": "flat", "transforms.flat.type": "org.apache.kafka.connect.transforms.Flatten$Value",
                "transforms.flat.delimiter": "_",
            ])
    }

    /// Kafka's Cast on unwrapped rows of the main table: numbers narrowed and widened, a numeric to float64,
    /// booleans to numbers, text to boolean, numbers, dates (Debezium's days) and floats to strings.
    func testCastEqualsDebezium() throws {
        let kafka = "org.apache.kafka.connect.transforms."
        try compareWithReference(
            modes: [
                "transforms": "unwrap,cast",
                "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
                "transforms.cast.type": kafka + "Cast$Value",
                "transforms.cast.spec": "i:string,s:int8,bo:int32,r:string,d:float32,n:float64,b:float64,t:boolean,"
                    + "da:string",
                "transforms.cast.predicate": "main", "predicates": "main",
                "predicates.main.type": kafka + "predicates.TopicNameMatches", "predicates.main.pattern": ".*[0-9]",
            ], extraEvents: -3)
    }

    /// Kafka's TimestampConverter on unwrapped rows: Debezium's microsecond timestamps (with ±infinity, before 1970
    /// and before the Gregorian calendar) to text in a pattern with every field, and millisecond ones to Connect's
    /// Timestamp.
    func testTimestampConverterEqualsDebezium() throws {
        let kafka = "org.apache.kafka.connect.transforms."
        try compareWithReference(
            modes: [
                "transforms": "unwrap,text,logical",
                "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
                "transforms.text.type": kafka + "TimestampConverter$Value", "transforms.text.field": "ts",
                "transforms.text.target.type": "string", "transforms.text.unix.precision": "microseconds",
                "transforms.text.format": "G yyyy-MM-dd'T'HH:mm:ss.SSS EEE MMM D w W F u a h k K z Z X YYYY",
                "transforms.text.predicate": "main",
                "transforms.logical.type": kafka + "TimestampConverter$Value", "transforms.logical.field": "ts3",
                "transforms.logical.target.type": "Timestamp", "transforms.logical.predicate": "main",
                "predicates": "main",
                "predicates.main.type": kafka + "predicates.TopicNameMatches", "predicates.main.pattern": ".*[0-9]",
            ], extraEvents: -3)
    }

    /// Debezium's ByLogicalTableRouter: every table's events routed to a topic of another name, keys gaining the
    /// physical table (cut out of the old topic by a regex), schemas renamed with Avro adjustment.
    func testByLogicalTableRouterEqualsDebezium() throws {
        try compareWithReference(
            modes: [
                "transforms": "route", "transforms.route.type": "io.debezium.transforms.ByLogicalTableRouter",
                "transforms.route.topic.regex": "(.*)\\.public\\.(.*)",
                "transforms.route.topic.replacement": "$1.logical.$2",
                "transforms.route.key.field.regex": "(.*)\\.public\\.(.*)",
                "transforms.route.key.field.replacement": "$2",
                "transforms.route.schema.name.adjustment.mode": "avro", "field.name.adjustment.mode": "avro_unicode",
            ], routed: { $0.replacingOccurrences(of: ".public.", with: ".logical.") })
    }

    /// Debezium's outbox EventRouter on an outbox table (the other tables pass by a predicate): inserts become
    /// events on the routed topic with envelope fields and the JSON payload expanded into a struct, the update and
    /// the deletes are dropped.
    func testOutboxEventRouterEqualsDebezium() throws {
        let outbox = "INSERT INTO public.%T_outbox VALUES "
        try compareWithReference(
            modes: [
                "transforms": "outbox", "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter",
                "transforms.outbox.route.topic.replacement": "%T.outbox.${routedByValue}",
                "transforms.outbox.table.fields.additional.placement":
                    "type:header:eventType,region:envelope,version:envelope:v",
                "transforms.outbox.table.field.event.timestamp": "created",
                "transforms.outbox.table.expand.json.payload": "true",
                "transforms.outbox.predicate": "outbox", "predicates": "outbox",
                "predicates.outbox.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
                "predicates.outbox.pattern": ".*_outbox",
            ],
            extraChanges: [
                outbox + "('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'order', 'o-1', 'OrderCreated', "
                    + "'{\"total\": 5, \"lines\": [1, 2]}', '2024-02-29 13:45:01.123', 'eu', 1)",
                outbox
                    + "('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'order', 'o-2', 'OrderCancelled', "
                    + "NULL, NULL, NULL, NULL)",
                "UPDATE public.%T_outbox SET type = 'Changed'",
                "DELETE FROM public.%T_outbox",
            ], extraEvents: 2, outbox: ["%T.outbox.order"])
    }

    /// Column filters and mappers: an excluded column, truncation (text and bytes), masks, hashes (v1 and v2),
    /// source types propagated to every other column, and `message.key.columns` for the table without a key (whose
    /// update of `a` then is a key change: two more events).
    func testColumnOptionsEqualDebezium() throws {
        try compareWithReference(modes: columnOptions, extraEvents: 2)
    }

    /// The same in a snapshot, where Debezium reads column lengths through the JDBC driver.
    func testColumnOptionsInASnapshotEqualDebezium() throws {
        try compareWithReference(modes: columnOptions.merging(["snapshot.mode": "initial"]) { $1 }, snapshot: true)
    }

    /// An incremental snapshot (signal table, watermarks) of the same rows, each connector writing its own
    /// watermarks and ignoring the other's; the table without a key is skipped by both. (The odd-name table is
    /// left out: Debezium 3.6.3 cannot parse a data collection name with a space and skips it; Tributary reads it.)
    func testIncrementalSnapshotEqualsDebezium() throws {
        try compareWithReference(modes: [:], signalled: "incremental")
    }

    /// A blocking snapshot (the stream paused after the signal, the tables read whole with the snapshot markers,
    /// the table without a key too).
    func testBlockingSnapshotEqualsDebezium() throws {
        try compareWithReference(modes: [:], signalled: "blocking")
    }

    private var columnOptions: [String: String] {
        let t = "public\\.\(slot)"
        return [
            "column.exclude.list": "\(t)\\.b",
            "column.truncate.to.3.chars": "\(t)\\.(t|v|by|ct)",
            "column.mask.with.4.chars": "\(t)\\.c,\(t)_nopk\\.b,\(t)\\.i",
            "column.mask.hash.SHA-256.with.salt.pepper": "\(t)\\.req",
            "column.mask.hash.v2.MD5.with.salt.s": "\(t) Odd\\.Mixed Case",
            "column.propagate.source.type": ".*",
            "message.key.columns": "\(t)_nopk:a",
        ]
    }

    /// The transactions of `changes` and `specialValues` that change a captured table (the ALTER does not).
    static let transactionsWithChanges = 26

    func testDoubleAndMicrosecondModesEqualDebezium() throws {
        try compareWithReference(modes: [
            "decimal.handling.mode": "double", "time.precision.mode": "adaptive_time_microseconds",
            "binary.handling.mode": "hex", "hstore.handling.mode": "map",
        ])
    }

    /// The reference's log4j writes to stdout by default, and a warning logged while a long event line is written
    /// lands inside that line (the line goes out in 8 kB pieces). A log4j configuration in `JAVA_TOOL_OPTIONS` sends
    /// the log to stderr, so stdout holds only events.
    static func referenceEnvironment(in work: URL) throws -> [String: String] {
        let configuration = work.appendingPathComponent("log4j2.properties")
        try """
        appender.err.type = Console
        appender.err.name = err
        appender.err.target = SYSTEM_ERR
        appender.err.layout.type = PatternLayout
        appender.err.layout.pattern = %d %t %p %m%n
        rootLogger.level = warn
        rootLogger.appenderRef.err.ref = err
        """.write(to: configuration, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["JAVA_TOOL_OPTIONS"] = "-Dlog4j2.configurationFile=\(configuration.path)"
        return environment
    }

    /// `snapshot`: the changes are made before either connector starts, and both read the result by snapshot.
    /// `signalled`: the same, read by a snapshot of that type (`incremental`, `blocking`) that a signal asks for
    /// once both stream.
    private func compareWithReference(
        modes: [String: String], extraChanges: [String] = [], extraEvents: Int = 0, snapshot: Bool = false,
        signalled: String? = nil, routed: (String) -> String = { $0 }, outbox: [String]? = nil
    ) throws {
        let incremental = signalled != nil
        var expectedEvents = Self.expectedEvents + extraEvents
        let db = try IntegrationEnvironment.sql()
        let table = slot
        var modes = modes
        if incremental {
            modes["signal.data.collection"] = "public.\(table)_signal"
            try db.query(
                "CREATE TABLE public.\(table)_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))",
                purpose: "create the signal table")
        }
        defer { if incremental { _ = try? db.query("DROP TABLE public.\(table)_signal", purpose: "drop") } }
        try db.query(
            """
            CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS ltree;
            CREATE EXTENSION IF NOT EXISTS citext;
            CREATE TYPE \(table)_mood AS ENUM ('sad', 'ok', 'happy');
            CREATE DOMAIN \(table)_posint AS integer CHECK (VALUE > 0);
            CREATE DOMAIN \(table)_money AS numeric(7,2);
            CREATE TABLE public.\(table) (
              id serial PRIMARY KEY, s smallint NOT NULL DEFAULT 7, i integer, b bigint, r real, d double precision,
              n numeric(10,3), nu numeric, bo boolean DEFAULT true, t text DEFAULT 'hi', v varchar(20), c char(4), by bytea,
              da date, ts timestamp, ts3 timestamp(3), tz timestamptz, tz0 timestamptz(0), tz3 timestamptz(3),
              req text NOT NULL, created timestamptz NOT NULL DEFAULT now(),
              tm time, tm3 time(3), u uuid, j json, jb jsonb, x xml, o oid,
              ip inet, net cidr, mac macaddr, mac8 macaddr8, tt timetz, tt0 timetz(0), iv interval, ia int[], ta text[],
              na numeric(5,2)[], dta date[], tsa timestamptz[], ba boolean[], ua uuid[], bya bytea[], tma time[],
              m money, m2 money NOT NULL DEFAULT 5, b1 bit(1), b8 bit(8), vb varbit(20), vbn varbit, bz bit(4),
              e \(table)_mood, e2 \(table)_mood NOT NULL DEFAULT 'ok', ea \(table)_mood[], dpi \(table)_posint,
              dmn \(table)_money, pt point, pt2 point NOT NULL DEFAULT '(0,0)', i4r int4range, nr numrange,
              tsr tsrange, tzr tstzrange, dr daterange, i4ra int4range[], hs hstore, hs2 hstore NOT NULL DEFAULT '',
              hsa hstore[], lt ltree, lta ltree[], ct citext, cta citext[], tv tsvector, bx box);
            CREATE TABLE public.\(table)_nopk (a int, b text);
            CREATE TABLE public."\(table) Odd" (id int PRIMARY KEY, "Mixed Case" text);
            CREATE TABLE public.\(table)_outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL,
              aggregateid text NOT NULL, type text NOT NULL, payload jsonb, created timestamp(3), region text,
              version int);
            """, purpose: "create tables")
        defer {
            _ = try? db.query(
                """
                DROP TABLE public.\(table), public.\(table)_nopk, public."\(table) Odd", public.\(table)_outbox;
                DROP TYPE \(table)_mood; DROP DOMAIN \(table)_posint; DROP DOMAIN \(table)_money
                """, purpose: "drop tables and types")
        }
        let tables =
            "public.\(table),public.\(table)_nopk,public.\(table) Odd"
            + (outbox == nil ? "" : ",public.\(table)_outbox")
        modes = modes.mapValues { $0.replacingOccurrences(of: "%T", with: table) }
        let statements = (Self.changes + Self.specialValues + extraChanges).map {
            $0.replacingOccurrences(of: "%T", with: table)
        }
        if snapshot || incremental {
            for statement in statements { try db.query(statement, purpose: "change") }
            let counts = try db.query(
                "SELECT (SELECT count(*) FROM public.\(table))"
                    + (incremental ? "" : " + (SELECT count(*) FROM public.\"\(table) Odd\")")
                    + (signalled == "incremental" ? "" : " + (SELECT count(*) FROM public.\(table)_nopk)"),
                purpose: "count rows")
            expectedEvents = Int((counts.first?.first ?? nil) ?? "") ?? 0
        }
        let prefix = slot

        // The reference, on its own slot and publication.
        let properties = IntegrationEnvironment.connectorConfig(
            name: "reference", prefix: prefix, slot: referenceSlot, tables: tables,
            extra: modes.merging(["slot.drop.on.stop": "true"]) { $1 })
        let propertiesFile = work.appendingPathComponent("reference.properties")
        try properties.values.map { "\($0.key)=\($0.value.replacingOccurrences(of: "\\", with: "\\\\"))" }.joined(
            separator: "\n"
        )
        .write(to: propertiesFile, atomically: true, encoding: .utf8)
        let output = work.appendingPathComponent("reference.jsonl")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let reference = Process()
        reference.executableURL = URL(fileURLWithPath: "/bin/bash")
        // With an incremental snapshot the reference also prints the signal table's rows (both connectors'
        // watermarks, in no set order): it runs until idle for 5 s. Otherwise it ends at the expected count, and
        // may pause longer than that on a loaded machine (its JVM once stalled 5 s in a CI run): 30 s idle.
        reference.arguments = [
            Self.referenceScript, propertiesFile.path, String(incremental ? 1_000_000 : expectedEvents),
            incremental ? "5" : "30",
        ]
        reference.standardOutput = try FileHandle(forWritingTo: output)
        let referenceLog = work.appendingPathComponent("reference.log")
        _ = FileManager.default.createFile(atPath: referenceLog.path, contents: nil)
        reference.standardError = try FileHandle(forWritingTo: referenceLog)
        defer {
            // What the reference said, when it failed.
            if !reference.isRunning, reference.terminationStatus != 0,
                let log = try? String(contentsOf: referenceLog, encoding: .utf8)
            {
                print("reference exited with \(reference.terminationStatus):\n" + log.suffix(3000))
            }
        }
        reference.environment = try Self.referenceEnvironment(in: work)
        try reference.run()
        defer { if reference.isRunning { reference.terminate() } }
        // Changes are made once the reference streams. A snapshot comparison makes none, and the reference may
        // have read every expected event and ended before its slot ever became active.
        if !snapshot {
            try IntegrationEnvironment.waitUntilStreaming(
                slot: referenceSlot, timeout: .seconds(600), alive: { reference.isRunning })
        }

        // Tributary, on its own slot.
        let offsets = work.appendingPathComponent("offsets.json").path
        let connector = try RunningConnector(
            IntegrationEnvironment.connectorConfig(
                name: slot, prefix: prefix, slot: slot, tables: tables, extra: modes), offsetFile: offsets)
        try IntegrationEnvironment.waitUntilStreaming(slot: slot)
        if modes["tributary.pgoutput.binary"] == "true" {
            // The walsender's command says how values are sent. Polled: on a loaded machine the walsender seen
            // active a moment ago may not be in pg_stat_activity yet (or already replaced by a reconnect).
            var command: [[String?]] = []
            let deadline = Date().addingTimeInterval(15)
            repeat {
                command = try db.query(
                    "SELECT a.query FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid "
                        + "WHERE s.slot_name = $1", [slot], purpose: "read the walsender's command")
                if command.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
            } while command.isEmpty && Date() < deadline
            XCTAssertTrue((command.first?.first ?? nil)?.contains("\"binary\" 'true'") == true, "\(command)")
        }

        if incremental {
            try db.query(
                "INSERT INTO public.\(table)_signal VALUES ('go', 'execute-snapshot', $1)",
                [
                    #"{"data-collections": ["public\\.\#(table)", "public\\.\#(table)_nopk"], "type": "\#(signalled ?? "")"}"#
                ],
                purpose: "signal")
        } else if !snapshot {
            for statement in statements { try db.query(statement, purpose: "change") }
        }

        let deadline = Date().addingTimeInterval(180)
        while reference.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.5) }
        XCTAssertFalse(reference.isRunning, "the reference finished")
        var topics =
            ["\(prefix).public.\(table)"]
            + (incremental ? [] : ["\(prefix).public.\(table)_Odd"])
            + (signalled == "incremental" ? [] : ["\(prefix).public.\(table)_nopk"])
            + (modes["provide.transaction.metadata"] == "true" ? ["\(prefix).transaction"] : [])
            + (snapshot || incremental ? [] : ["\(prefix).message"])
        topics = topics.map(routed) + (outbox ?? []).map { $0.replacingOccurrences(of: "%T", with: table) }
        let ours = try IntegrationEnvironment.consume(topics, count: expectedEvents)
        try connector.stop()
        // What a sink reads: every key and value read back by JsonConverter writes again to the same bytes.
        let converter = JsonConverter()
        for message in ours {
            for bytes in [message.key, message.value] {
                let data = try converter.toConnectData(topic: message.topic, bytes: bytes)
                let again = try converter.fromConnectData(topic: message.topic, schema: data.schema, value: data.value)
                XCTAssertEqual(again, bytes, "\(message.topic) offset \(message.offset) read back and written again")
            }
        }

        let theirs = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("{") }
            .map { line in
                try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }.filter { topics.contains($0["topic"] as? String ?? "") }
        XCTAssertEqual(theirs.count, expectedEvents, "reference events")
        XCTAssertEqual(ours.count, expectedEvents, "Tributary events")

        // Compare per topic, in order.
        func byTopic(_ events: [(topic: String, key: Any, value: Any)]) -> [String: [(key: Any, value: Any)]] {
            Dictionary(grouping: events, by: \.topic).mapValues { $0.map { ($0.key, $0.value) } }
        }
        let theirsByTopic = byTopic(
            theirs.map { ($0["topic"] as! String, $0["key"] ?? NSNull(), $0["value"] ?? NSNull()) })
        let oursByTopic = byTopic(
            try ours.map { m in
                (
                    m.topic, try IntegrationEnvironment.json(m.key) ?? NSNull(),
                    try IntegrationEnvironment.json(m.value) ?? NSNull()
                )
            })
        XCTAssertEqual(Set(theirsByTopic.keys), Set(oursByTopic.keys))
        for (topic, expected) in theirsByTopic {
            let actual = oursByTopic[topic] ?? []
            XCTAssertEqual(actual.count, expected.count, topic)
            for (i, (e, a)) in zip(expected, actual).enumerated() {
                let expectedKey = Self.canonical(e.key), actualKey = Self.canonical(a.key)
                XCTAssertEqual(actualKey, expectedKey, "\(topic) event \(i) key")
                let differences = Self.differences(
                    Self.withoutAllowedDifferences(e.value), Self.withoutAllowedDifferences(a.value), path: "value")
                XCTAssertEqual(differences, [], "\(topic) event \(i)")
            }
        }
    }

    /// Drops what legitimately differs between two captures: processing time and the connector's version.
    static func withoutAllowedDifferences(_ value: Any) -> Any {
        guard var message = value as? [String: Any], var payload = message["payload"] as? [String: Any] else {
            return value
        }
        if let collections = payload["data_collections"] as? [[String: Any]] {
            // Debezium names a transaction's logical decoding messages by a Java object's identity
            // (`…LogicalDecodingMessageMonitor$LogicalDecodingMessageId@12828083`), which also decides their place
            // in the list; Tributary by the identifier that object holds (docs/configuration.md).
            payload["data_collections"] = collections.map { entry -> [String: Any] in
                var entry = entry
                if let name = entry["data_collection"] as? String, name.contains("$LogicalDecodingMessageId@") {
                    entry["data_collection"] = "LOGICAL_DECODING_MESSAGE"
                }
                return entry
            }.sorted { ($0["data_collection"] as? String ?? "") < ($1["data_collection"] as? String ?? "") }
        }
        for k in ["ts_ms", "ts_us", "ts_ns"] { payload[k] = nil }
        if var source = payload["source"] as? [String: Any] {
            source["version"] = nil
            if payload["op"] as? String == "m" && source["txId"] is NSNull {
                // A message outside any transaction has no commit time: each connector gives the last it knows.
                for k in ["ts_ms", "ts_us", "ts_ns"] { source[k] = nil }
            }
            if payload["op"] as? String == "r" {
                // A snapshot's time and position belong to each connector's own snapshot and slot.
                for k in ["ts_ms", "ts_us", "ts_ns", "lsn", "txId", "sequence", "xmin"] { source[k] = nil }
            }
            payload["source"] = source
        }
        if payload["source_version"] != nil {
            // Flattened (Flatten with delimiter "_"): the same allowances under the flat names.
            payload["source_version"] = nil
            if payload["op"] as? String == "m" && payload["source_txId"] is NSNull {
                for k in ["ts_ms", "ts_us", "ts_ns"] { payload["source_" + k] = nil }
            }
        }
        message["payload"] = payload
        return message
    }

    /// Paths where two parsed JSON documents differ, with both values.
    static func differences(_ expected: Any, _ actual: Any, path: String) -> [String] {
        switch (expected, actual) {
        case (let e as [String: Any], let a as [String: Any]):
            return Set(e.keys).union(a.keys).sorted().flatMap { k in
                differences(e[k] ?? "<absent>", a[k] ?? "<absent>", path: path + "." + k)
            }
        case (let e as [Any], let a as [Any]):
            if e.count != a.count { return ["\(path): \(e.count) items expected, \(a.count) found"] }
            return zip(e, a).enumerated().flatMap {
                differences($0.element.0, $0.element.1, path: "\(path)[\($0.offset)]")
            }
        default:
            let (c1, c2) = (canonical(expected), canonical(actual))
            return c1 == c2 ? [] : ["\(path): expected \(c1), found \(c2)"]
        }
    }

    /// JSON text with sorted keys, so that two parsed documents compare as text and mismatches read well.
    static func canonical(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value) else { return value is NSNull ? "null" : "\(value)" }
        let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
