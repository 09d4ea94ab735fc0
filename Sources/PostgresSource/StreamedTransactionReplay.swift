/// A committed streamed transaction being handed out: its kept changes, then its commit.
struct StreamedTransactionReplay {
    let reader: StreamedTransactionSpill.Reader
    let commit: PgOutputMessage
    /// Where the Stream Commit message lies in the stream.
    let commitPosition: LSN
    /// The table entries its Relation messages replaced (nil: there was none), restored once it is done.
    var savedTables: [UInt32: PostgresTableSchema??] = [:]
    var finished = false
}
