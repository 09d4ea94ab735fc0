/// Tributary's version, reported in `source.version` of every change event.
public enum TributaryVersion {
    public static let string = "0.1.0"
}
