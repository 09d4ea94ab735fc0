import CZstd

/// Streaming zstd decompression (libzstd's `ZSTD_decompressStream`): compressed bytes in, decompressed pieces out
/// as they come, so that a large compressed transaction is never held whole.
final class ZstdStream {
    private let context: OpaquePointer
    private var output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())

    init() throws(BinlogError) {
        guard let context = ZSTD_createDCtx() else { throw BinlogError(.malformed, "zstd: no decompression context") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses all of `input`, handing each decompressed piece to `body`; true when a frame ended exactly at
    /// the input's end.
    func decompress(
        _ input: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) throws(BinlogError) -> Void
    ) throws(BinlogError) -> Bool {
        var frameEnded = false
        var consumed = 0
        var result: Result<Void, BinlogError> = .success(())
        input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while inBuffer.pos < inBuffer.size || !frameEnded {
                var produced = 0
                let status = output.withUnsafeMutableBytes { target -> Int in
                    var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                    let status = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    produced = outBuffer.pos
                    return status
                }
                if ZSTD_isError(status) != 0 {
                    result = .failure(
                        BinlogError(.malformed, "zstd: " + String(cString: ZSTD_getErrorName(status))))
                    return
                }
                precondition(produced <= output.count, "zstd wrote past its output buffer")
                if produced > 0 {
                    do throws(BinlogError) {
                        try body(output[0..<produced])
                    } catch {
                        result = .failure(error)
                        return
                    }
                }
                frameEnded = status == 0
                // No input left and nothing more produced: the frame is cut short.
                if inBuffer.pos == inBuffer.size && produced < output.count && !frameEnded { break }
                if frameEnded && inBuffer.pos == inBuffer.size { break }
            }
            consumed = inBuffer.pos
        }
        try result.get()
        return frameEnded && consumed == input.count
    }
}
