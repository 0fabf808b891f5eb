using QuantReason.Evaluation;
namespace QuantReason.Data.Prompts;

/// <summary>Chat prompts become messages for the model's chat template; completion prompts are one raw string.</summary>
public enum PromptKind { Chat, Completion }
