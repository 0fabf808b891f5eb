namespace QuantReason.Evaluation.Runs;

/// <summary>
/// How judging writes a run's labels.jsonl (the run directory's other writer, beside <see cref="RunDirectory.WriteLabels(IEnumerable{LabelRecord})"/>): appended and flushed one line at a time, so a killed run loses at most the
/// line being written. Reopening cuts off a torn last line (one without its newline) and reports it, and exposes the
/// (problem_id, sample, labeller) triples already written so a resumed run skips them. Thread-safe.
/// </summary>
public sealed class LabelsWriter : IDisposable
{
    readonly StreamWriter _writer;
    readonly HashSet<(string, int, string)> _done;
    readonly Lock _lock = new();

    public string Path { get; }
    /// <summary>Bytes of a torn last line cut off on opening (0 when the file ended cleanly).</summary>
    public long TornBytes { get; }
    public IReadOnlyList<LabelRecord> Existing { get; }

    LabelsWriter(string path, long torn, List<LabelRecord> existing)
    {
        Path = path;
        TornBytes = torn;
        Existing = existing;
        _done = existing.Select(l => (l.ProblemId, l.Sample, l.Labeller)).ToHashSet();
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = false };
    }

    public static LabelsWriter Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new QuantReasonException("folder for labels does not exist", dir);
        long torn = 0;
        if (File.Exists(full))
        {
            using var f = new FileStream(full, FileMode.Open, FileAccess.ReadWrite);
            var length = f.Length;
            long keep = length;
            // walk back to the last newline: whatever follows it is a line the previous run did not finish
            while (keep > 0)
            {
                f.Position = keep - 1;
                if (f.ReadByte() == '\n') break;
                keep--;
            }
            torn = length - keep;
            if (torn > 0) f.SetLength(keep);
        }
        var existing = File.Exists(full) ? RunDirectory.ReadLabelFile(full).ToList() : [];
        return new LabelsWriter(full, torn, existing);
    }

    public bool Contains(string problemId, int sample, string labeller)
    {
        lock (_lock) return _done.Contains((problemId, sample, labeller));
    }

    public void Append(LabelRecord label)
    {
        var line = RunDirectory.LabelLine(label);
        lock (_lock)
        {
            if (!_done.Add((label.ProblemId, label.Sample, label.Labeller))) return;
            _writer.Write(line);
            _writer.Write('\n');
            _writer.Flush();
        }
    }

    public void Dispose() { lock (_lock) _writer.Dispose(); }
}
