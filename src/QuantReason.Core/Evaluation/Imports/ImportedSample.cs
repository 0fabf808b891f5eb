using System.Text.Json;

namespace QuantReason.Evaluation.Imports;

/// <summary>
/// One model output read from another tool's log, before grading: the tool's index of the problem, the sample number,
/// the prompt it sent, the raw output, and what the log says about the problem (its dataset record, its gold answer).
/// </summary>
public sealed record ImportedSample(
    int Index,
    int Sample,
    string Prompt,
    string Output,
    JsonElement? Doc,
    string? Gold,
    string Where);
