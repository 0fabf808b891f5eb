using System.Text;
using System.Text.RegularExpressions;

namespace QuantReason.Tokenizers;

/// <summary>The prompt formats this toolkit renders without a Jinja engine.</summary>
public enum ChatTemplateKind
{
    /// <summary>No chat format: message contents joined by blank lines (base-model completion).</summary>
    Plain,
    /// <summary>Llama 3: &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;.</summary>
    Llama3,
    /// <summary>ChatML (Qwen): &lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n.</summary>
    ChatMl,
    /// <summary>Phi-3: &lt;|user|&gt;\ncontent&lt;|end|&gt;\n&lt;|assistant|&gt;\n.</summary>
    Phi3,
    /// <summary>DeepSeek-R1 (and its Qwen/Llama distills): system text, &lt;｜User｜&gt;…&lt;｜Assistant｜&gt;…&lt;｜end▁of▁sentence｜&gt;.</summary>
    DeepSeekR1,
    /// <summary>BOS, then only the last user turn: models that read just the problem (the StepMath reference model),
    /// whose tokenizer carries <see cref="ChatTemplate.LastUserTurnSource"/>.</summary>
    LastUserTurn,
}

/// <summary>
/// Renders a conversation the way the model's own chat template would, for the families this toolkit evaluates.
/// The kind is chosen from a table of markers looked up in the tokenizer's chat_template source (or, without one,
/// among its special tokens); details that differ between releases of a family are read from the source too:
/// Qwen's default system prompt (only when the template writes one), Llama 3.1+'s knowledge-cutoff system header,
/// whether a Phi-3 template renders system turns. The rendered text contains the BOS token text where the real
/// template writes <c>bos_token</c>, so encode it with addSpecialTokens: false.
/// </summary>
public sealed class ChatTemplate
{
    static readonly (string Marker, ChatTemplateKind Kind)[] Markers =
    [
        ("<|start_header_id|>", ChatTemplateKind.Llama3),
        ("<|im_start|>", ChatTemplateKind.ChatMl),
        ("<|user|>", ChatTemplateKind.Phi3),
        ("<｜User｜>", ChatTemplateKind.DeepSeekR1),
    ];

    /// <summary>
    /// The Jinja template of <see cref="ChatTemplateKind.LastUserTurn"/>, as written into tokenizer_config.json: system
    /// text and earlier turns (few-shot examples) are dropped, so a prompt file's rendering is exactly the problem.
    /// </summary>
    public const string LastUserTurnSource =
        "{%- set ns = namespace(text='') -%}{%- for message in messages -%}{%- if message['role'] == 'user' -%}" +
        "{%- set ns.text = message['content'] -%}{%- endif -%}{%- endfor -%}{{ bos_token }}{{ ns.text }}";

    public ChatTemplateKind Kind { get; }
    /// <summary>Text of the BOS token written at the start (Llama 3, Phi-3), or empty.</summary>
    public string BosText { get; init; } = "";
    /// <summary>ChatML: system prompt used when the conversation has none (Qwen2/2.5), or null (Qwen3).</summary>
    public string? DefaultSystemPrompt { get; init; }
    /// <summary>Llama 3.1+: the system header carries "Cutting Knowledge Date"/"Today Date" lines.</summary>
    public bool KnowledgeCutoffHeader { get; init; }
    /// <summary>Llama 3.1+: the date the template writes when none is supplied.</summary>
    public string DateString { get; init; } = "26 Jul 2024";
    /// <summary>Phi-3: whether system turns are rendered (early Phi-3 templates drop them).</summary>
    public bool RendersSystem { get; init; } = true;
    /// <summary>
    /// Qwen3 (templates that read <c>enable_thinking</c>): false writes the empty think block after the generation
    /// prompt, as the template does for enable_thinking=false. Ignored by templates without the switch.
    /// </summary>
    public bool EnableThinking { get; init; } = true;
    /// <summary>Whether the template reads <c>enable_thinking</c> (Qwen3).</summary>
    public bool HasThinkingSwitch { get; init; }
    /// <summary>DeepSeek-R1: the generation prompt opens a think block ("&lt;think&gt;\n"), as later template revisions do.</summary>
    public bool OpensThinkBlock { get; init; }

    public ChatTemplate(ChatTemplateKind kind) => Kind = kind;

    /// <summary>Chooses the template for a tokenizer from its chat_template source and special tokens.</summary>
    public static ChatTemplate For(ITokenizer tokenizer)
    {
        var bos = tokenizer.BosId is { } b ? tokenizer.TokenToString(b) ?? "" : "";
        return Detect(tokenizer.ChatTemplateSource, t => tokenizer.TokenToId(t) is not null, bos);
    }

    public static ChatTemplate Detect(string? source, Func<string, bool> hasToken, string bosText)
    {
        if (source == LastUserTurnSource) return new ChatTemplate(ChatTemplateKind.LastUserTurn) { BosText = bosText };
        var kind = ChatTemplateKind.Plain;
        foreach (var (marker, k) in Markers)
            if (source is not null ? source.Contains(marker, StringComparison.Ordinal) : hasToken(marker)) { kind = k; break; }

        return kind switch
        {
            ChatTemplateKind.Llama3 => new ChatTemplate(kind)
            {
                BosText = source is null || source.Contains("bos_token", StringComparison.Ordinal) ? bosText : "",
                KnowledgeCutoffHeader = source?.Contains("Cutting Knowledge Date", StringComparison.Ordinal) ?? false,
                DateString = source is not null && Regex.Match(source, "set date_string = \"([^\"]+)\"") is { Success: true } m
                    ? m.Groups[1].Value : "26 Jul 2024",
            },
            ChatTemplateKind.ChatMl => new ChatTemplate(kind)
            {
                DefaultSystemPrompt = source is null ? null : DefaultChatMlSystem(source),
                HasThinkingSwitch = source?.Contains("enable_thinking", StringComparison.Ordinal) ?? false,
            },
            ChatTemplateKind.DeepSeekR1 => new ChatTemplate(kind)
            {
                BosText = source is null || source.Contains("bos_token", StringComparison.Ordinal) ? bosText : "",
                OpensThinkBlock = source?.Contains("<｜Assistant｜><think>", StringComparison.Ordinal) ?? true,
            },
            ChatTemplateKind.Phi3 => new ChatTemplate(kind)
            {
                BosText = source is null || source.Contains("bos_token", StringComparison.Ordinal) ? bosText : "",
                RendersSystem = source is null || source.Contains("<|system|>", StringComparison.Ordinal),
            },
            _ => new ChatTemplate(kind),
        };
    }

    /// <summary>The literal system turn a ChatML template writes when the conversation has no system message.</summary>
    static string? DefaultChatMlSystem(string source)
    {
        var m = Regex.Match(source, @"<\|im_start\|>system\\n([^'""+{}]+?)<\|im_end\|>");
        return m.Success ? m.Groups[1].Value.Replace("\\n", "\n") : null;
    }

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        foreach (var m in messages)
            if (m.Role is not ("system" or "user" or "assistant"))
                throw new QuantReasonException($"chat role '{m.Role}' is not supported (system, user, assistant)", "chat template");
        var sb = new StringBuilder();
        switch (Kind)
        {
            case ChatTemplateKind.Llama3: RenderLlama3(messages, addGenerationPrompt, sb); break;
            case ChatTemplateKind.ChatMl: RenderChatMl(messages, addGenerationPrompt, sb); break;
            case ChatTemplateKind.Phi3: RenderPhi3(messages, sb); break;
            case ChatTemplateKind.DeepSeekR1: RenderDeepSeekR1(messages, addGenerationPrompt, sb); break;
            case ChatTemplateKind.LastUserTurn: sb.Append(BosText).Append(messages.LastOrDefault(m => m.Role == "user")?.Content ?? ""); break;
            default: sb.AppendJoin("\n\n", messages.Select(m => m.Content)); break;
        }
        return sb.ToString();
    }

    void RenderLlama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, StringBuilder sb)
    {
        sb.Append(BosText);
        var rest = messages.AsEnumerable();
        if (KnowledgeCutoffHeader)
        {
            // Llama 3.1+ always writes a system turn: the date lines, then the (trimmed) system message if any.
            var system = messages.Count > 0 && messages[0].Role == "system" ? messages[0].Content.Trim() : "";
            if (messages.Count > 0 && messages[0].Role == "system") rest = messages.Skip(1);
            sb.Append("<|start_header_id|>system<|end_header_id|>\n\n")
              .Append("Cutting Knowledge Date: December 2023\n")
              .Append("Today Date: ").Append(DateString).Append("\n\n")
              .Append(system).Append("<|eot_id|>");
        }
        foreach (var m in rest)
            sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
        if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    void RenderChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, StringBuilder sb)
    {
        if ((messages.Count == 0 || messages[0].Role != "system") && DefaultSystemPrompt is not null)
            sb.Append("<|im_start|>system\n").Append(DefaultSystemPrompt).Append("<|im_end|>\n");
        foreach (var m in messages)
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        if (addGenerationPrompt)
        {
            sb.Append("<|im_start|>assistant\n");
            if (HasThinkingSwitch && !EnableThinking) sb.Append("<think>\n\n</think>\n\n");
        }
    }

    void RenderDeepSeekR1(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, StringBuilder sb)
    {
        // The last system message becomes a prefix; earlier assistant turns keep only the text after </think>.
        sb.Append(BosText).Append(messages.LastOrDefault(m => m.Role == "system")?.Content ?? "");
        foreach (var m in messages)
        {
            if (m.Role == "user") sb.Append("<｜User｜>").Append(m.Content);
            else if (m.Role == "assistant")
            {
                var content = m.Content;
                var end = content.LastIndexOf("</think>", StringComparison.Ordinal);
                if (end >= 0) content = content[(end + "</think>".Length)..];
                sb.Append("<｜Assistant｜>").Append(content).Append("<｜end▁of▁sentence｜>");
            }
        }
        if (addGenerationPrompt) sb.Append("<｜Assistant｜>").Append(OpensThinkBlock ? "<think>\n" : "");
    }

    void RenderPhi3(IReadOnlyList<ChatMessage> messages, StringBuilder sb)
    {
        // Phi-3's template opens the assistant turn after every user turn, whatever add_generation_prompt says.
        sb.Append(BosText);
        foreach (var m in messages)
        {
            switch (m.Role)
            {
                case "system" when RendersSystem: sb.Append("<|system|>\n").Append(m.Content).Append("<|end|>\n"); break;
                case "user": sb.Append("<|user|>\n").Append(m.Content).Append("<|end|>\n<|assistant|>\n"); break;
                case "assistant": sb.Append(m.Content).Append("<|end|>\n"); break;
            }
        }
    }
}
