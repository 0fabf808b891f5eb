using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using QuantReason.Evaluation;

namespace QuantReason.Data.Prompts;

/// <summary>
/// An editable prompt (data/prompts/*.yaml): an instruction with a {problem} slot, optional system text and worked
/// examples, and stop sequences. <see cref="Digest"/> is the SHA-256 of the file, recorded in run manifests so two runs
/// with different prompt text never look alike.
/// </summary>
public sealed record PromptTemplate(
    string Name,
    PromptKind Kind,
    string Description,
    string? System,
    string Instruction,
    string ShotFormat,
    string Separator,
    IReadOnlyList<PromptShot> Shots,
    IReadOnlyList<string> Stop,
    string Digest)
{
    const string ProblemSlot = "{problem}";
    const string SolutionSlot = "{solution}";

    /// <summary>Messages for a chat model: system, then each shot as a user/assistant exchange, then the problem.</summary>
    public IReadOnlyList<ChatMessage> Messages(string problem)
    {
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(System)) messages.Add(new("system", System));
        foreach (var shot in Shots)
        {
            messages.Add(new("user", Instruction.Replace(ProblemSlot, shot.Problem)));
            messages.Add(new("assistant", shot.Solution));
        }
        messages.Add(new("user", Instruction.Replace(ProblemSlot, problem)));
        return messages;
    }

    /// <summary>One string for a base model: system text, the formatted shots and the problem, joined by the separator.</summary>
    public string Completion(string problem)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(System)) parts.Add(System);
        parts.AddRange(Shots.Select(s => ShotFormat.Replace(ProblemSlot, s.Problem).Replace(SolutionSlot, s.Solution)));
        parts.Add(Instruction.Replace(ProblemSlot, problem));
        return string.Join(Separator, parts);
    }

    sealed class Dto
    {
        public string? Name { get; set; }
        public string? Kind { get; set; }
        public string? Description { get; set; }
        public string? System { get; set; }
        public string? Instruction { get; set; }
        public string? ShotFormat { get; set; }
        public string? Separator { get; set; }
        public List<ShotDto>? Shots { get; set; }
        public List<string>? Stop { get; set; }
    }

    sealed class ShotDto
    {
        public string? Problem { get; set; }
        public string? Solution { get; set; }
        public string? Answer { get; set; }
    }

    /// <summary>Parses and validates a prompt file; every problem names the file and the field at fault.</summary>
    public static PromptTemplate Load(string path)
    {
        if (!File.Exists(path)) throw new QuantReasonException("prompt file not found", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses a prompt file's bytes; <paramref name="path"/> names it in errors (a file, or a built-in prompt).</summary>
    public static PromptTemplate Parse(byte[] bytes, string path)
    {
        Dto dto;
        try
        {
            dto = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build()
                .Deserialize<Dto>(Encoding.UTF8.GetString(bytes)) ?? throw new QuantReasonException("empty prompt file", path);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new QuantReasonException($"malformed YAML: {e.Message}", $"{path}:{e.Start.Line}", e);
        }
        string Required(string? value, string field) =>
            string.IsNullOrEmpty(value) ? throw new QuantReasonException($"missing field '{field}'", path) : value;
        var kind = Required(dto.Kind, "kind") switch
        {
            "chat" => PromptKind.Chat,
            "completion" => PromptKind.Completion,
            var k => throw new QuantReasonException($"field 'kind' must be chat or completion, found '{k}'", path),
        };
        var instruction = Required(dto.Instruction, "instruction");
        if (!instruction.Contains(ProblemSlot, StringComparison.Ordinal))
            throw new QuantReasonException("field 'instruction' has no {problem} slot", path);
        var shots = (dto.Shots ?? []).Select((s, i) => new PromptShot(
            Required(s.Problem, $"shots[{i}].problem"), Required(s.Solution, $"shots[{i}].solution"),
            Required(s.Answer, $"shots[{i}].answer"))).ToList();
        var shotFormat = dto.ShotFormat ?? "";
        if (kind == PromptKind.Completion && shots.Count > 0 && !shotFormat.Contains(SolutionSlot, StringComparison.Ordinal))
            throw new QuantReasonException("a completion prompt with shots needs 'shot_format' with {problem} and {solution}", path);
        return new PromptTemplate(Required(dto.Name, "name"), kind, dto.Description ?? "", dto.System, instruction, shotFormat,
            dto.Separator ?? "\n\n", shots, dto.Stop ?? [], Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
