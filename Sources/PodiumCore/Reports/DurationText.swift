/// Durations as people read them in listings and messages.
public enum DurationText {
    /// The two largest units of a length of time: `2d 3h`, `45m`, `12s`; negative lengths read
    /// as their magnitude.
    public static func approximate(seconds: Int) -> String {
        let units = [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        var rest = abs(seconds)
        var parts: [String] = []
        for (symbol, size) in units where rest >= size && parts.count < 2 {
            parts.append("\(rest / size)\(symbol)")
            rest %= size
        }
        return parts.isEmpty ? "0s" : parts.joined(separator: " ")
    }
}
