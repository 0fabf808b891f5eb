using QuantReason.Evaluation;
namespace QuantReason.Data.Prompts;

/// <summary>One worked example of a few-shot prompt, with the answer its solution must yield.</summary>
public sealed record PromptShot(string Problem, string Solution, string Answer);
