using QuantReason.Evaluation;
namespace QuantReason.Data.Prompts;

/// <summary>A role ("system", "user", "assistant") and its text, as chat templates and OpenAI endpoints take them.</summary>
public sealed record ChatMessage(string Role, string Content);
