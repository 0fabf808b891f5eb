using QuantReason.Tokenizers;

namespace QuantReason.Cli;

/// <summary>One-line descriptions of a tokenizer for `inspect`.</summary>
static class TokenizerDescription
{
    public static string Kind(ITokenizer tok, string dir)
    {
        string file = File.Exists(Path.Combine(dir, "tokenizer.json")) ? "tokenizer.json" : "tokenizer.model";
        string algo = tok is BpeTokenizer b
            ? b.Config.ByteLevel ? "byte-level BPE" : b.Config.ByteFallback ? "SentencePiece BPE with byte fallback" : "BPE"
            : tok.GetType().Name;
        return $"{algo} ({file})";
    }

    public static string Template(ITokenizer tok)
    {
        var t = ChatTemplate.For(tok);
        return t.Kind switch
        {
            ChatTemplateKind.Plain => "none (plain completion)",
            ChatTemplateKind.Llama3 => "Llama 3" + (t.KnowledgeCutoffHeader ? " (3.1+ system header)" : ""),
            ChatTemplateKind.ChatMl => "ChatML" + (t.DefaultSystemPrompt is null ? "" : " with default system prompt"),
            ChatTemplateKind.Phi3 => "Phi-3",
            ChatTemplateKind.LastUserTurn => "last user turn only (problem text)",
            _ => t.Kind.ToString(),
        };
    }
}
