using System.Text;

namespace QuantReason.Runtime;

/// <summary>
/// Streams decoded text that may end in a stop string: text that could still turn into a stop string is held back, so
/// nothing at or past a stop is ever emitted, and what is emitted concatenates to the text cut before the first stop.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    readonly StringBuilder _text = new(); // everything pushed so far
    readonly int _holdBack = Math.Max(0, stops.Select(s => s.Length).DefaultIfEmpty(0).Max() - 1); // empty stops never match
    int _emitted;

    /// <summary>True once a stop string has appeared; later pushes emit nothing.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Appends text and returns the part that is now safe to emit.</summary>
    public string Push(string text) => Advance(text, final: false);

    /// <summary>Appends the decoder's last text and returns everything left before the first stop.</summary>
    public string Flush(string text = "") => Advance(text, final: true);

    string Advance(string text, bool final)
    {
        if (Stopped) return "";
        _text.Append(text);
        var all = _text.ToString();
        int cut = -1;
        foreach (var st in stops)
        {
            if (st.Length == 0) continue;
            int at = all.IndexOf(st, Math.Max(0, _emitted - st.Length), StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        int limit = cut >= 0 ? cut : final ? all.Length : all.Length - _holdBack;
        Stopped = cut >= 0;
        if (limit <= _emitted) return "";
        var delta = all[_emitted..limit];
        _emitted = limit;
        return delta;
    }
}
