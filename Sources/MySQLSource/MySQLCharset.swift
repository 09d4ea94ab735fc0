#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes a character column's bytes from its MySQL character set into a String: UTF-8 and ASCII directly,
/// `latin1` (MySQL's is Windows-1252) by table, every other set through iconv.
struct MySQLCharset: Sendable {
    private enum Kind: Sendable {
        case utf8
        case latin1
        case iconv(String)
    }

    let name: String
    private let kind: Kind

    /// nil for a character set this machine cannot decode.
    init?(_ name: String) {
        self.name = name.lowercased()
        switch self.name {
        case "utf8mb4", "utf8mb3", "utf8", "ascii", "binary": kind = .utf8
        case "latin1": kind = .latin1
        default:
            guard let iconvName = Self.iconvNames[self.name] else { return nil }
            let handle = iconv_open("UTF-8", iconvName)
            guard handle != iconv_t(bitPattern: -1) else { return nil }
            iconv_close(handle)
            kind = .iconv(iconvName)
        }
    }

    func decode(_ bytes: ArraySlice<UInt8>) -> String {
        switch kind {
        case .utf8: return String(decoding: bytes, as: UTF8.self)
        case .latin1:
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            var s = String.UnicodeScalarView()
            for b in bytes {
                s.append(b >= 0x80 && b < 0xA0 ? Self.cp1252[Int(b - 0x80)] : Unicode.Scalar(b))
            }
            return String(s)
        case .iconv(let from): return Self.iconv(bytes, from: from)
        }
    }

    private static func iconv(_ bytes: ArraySlice<UInt8>, from: String) -> String {
        let handle = iconv_open("UTF-8", from)
        defer { iconv_close(handle) }
        var input = Array(bytes)
        // UTF-8 takes at most 4 bytes per character, and no character set here has fewer than 1 byte per one.
        var output = [UInt8](repeating: 0, count: input.count * 4 + 4)
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                while inLeft > 0 {
                    if Glibc.iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft) == -1 {
                        // An invalid or incomplete sequence: U+FFFD for one byte, then on.
                        guard outLeft >= 3, inLeft > 0 else { break }
                        for b: UInt8 in [0xEF, 0xBF, 0xBD] {
                            outPointer?.pointee = CChar(bitPattern: b)
                            outPointer = outPointer?.advanced(by: 1)
                        }
                        outLeft -= 3
                        inPointer = inPointer?.advanced(by: 1)
                        inLeft -= 1
                    }
                }
                return outBuffer.count - outLeft
            }
        }
        precondition(produced <= output.count)
        return String(decoding: output[..<produced], as: UTF8.self)
    }

    /// iconv's names of MySQL's character sets.
    private static let iconvNames: [String: String] = [
        "latin2": "ISO-8859-2", "latin5": "ISO-8859-9", "latin7": "ISO-8859-13", "greek": "ISO-8859-7",
        "hebrew": "ISO-8859-8", "cp1250": "CP1250", "cp1251": "CP1251", "cp1256": "CP1256", "cp1257": "CP1257",
        "cp850": "CP850", "cp852": "CP852", "cp866": "CP866", "koi8r": "KOI8-R", "koi8u": "KOI8-U",
        "ucs2": "UCS-2BE", "utf16": "UTF-16BE", "utf16le": "UTF-16LE", "utf32": "UTF-32BE", "gbk": "GBK",
        "gb2312": "GB2312", "gb18030": "GB18030", "big5": "BIG5", "sjis": "SHIFT_JIS", "cp932": "CP932",
        "ujis": "EUC-JP", "eucjpms": "EUC-JP-MS", "euckr": "EUC-KR", "tis620": "TIS-620", "macroman": "MACINTOSH",
        "macce": "MAC-CENTRALEUROPE", "armscii8": "ARMSCII-8", "geostd8": "GEORGIAN-PS", "hp8": "HP-ROMAN8",
        "keybcs2": "KEYBCS2", "dec8": "DEC-MCS", "swe7": "SEN_850200_B",
    ]

    /// Windows-1252's characters for 0x80…0x9F; MySQL's latin1 keeps the five unassigned ones as C1 controls.
    private static let cp1252: [Unicode.Scalar] = [
        0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D,
        0x17D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A,
        0x153, 0x9D, 0x17E, 0x178,
    ].map { Unicode.Scalar(UInt32($0))! }
}
