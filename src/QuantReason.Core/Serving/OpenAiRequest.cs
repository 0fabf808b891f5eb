using System.Text.Json;
using QuantReason.Tokenizers;

namespace QuantReason.Serving;

/// <summary>
/// A validated /v1/completions or /v1/chat/completions body. Defaults follow OpenAI's API: temperature 1, top_p 1,
/// n 1, max_tokens 16 for completions and the rest of the context for chat; <c>top_k</c> is the vLLM extension
/// (0 or −1: off). Every rule names the offending parameter in a 400 answer.
/// </summary>
public sealed record OpenAiRequest(
    string Model,
    string? Prompt,
    IReadOnlyList<ChatMessage>? Messages,
    int? MaxTokens,
    double Temperature,
    double TopP,
    int TopK,
    ulong? Seed,
    IReadOnlyList<string> Stop,
    int N,
    bool Stream,
    bool IncludeUsage)
{
    public const int MaxChoices = 16;

    public static OpenAiRequest Parse(JsonElement root, bool chat)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new ApiError(400, "request body must be a JSON object");
        var model = String(root, "model") ?? throw new ApiError(400, "missing required parameter 'model'", "model");
        string? prompt = null;
        List<ChatMessage>? messages = null;
        if (chat) messages = ParseMessages(root);
        else prompt = ParsePrompt(root);
        int? maxTokens = Int(root, "max_completion_tokens") ?? Int(root, "max_tokens");
        if (maxTokens is < 1) throw new ApiError(400, $"max_tokens must be at least 1, got {maxTokens}", "max_tokens");
        if (!chat) maxTokens ??= 16;
        var temperature = Number(root, "temperature") ?? 1.0;
        if (temperature is < 0 or > 2 || double.IsNaN(temperature))
            throw new ApiError(400, $"temperature must be in [0, 2], got {temperature}", "temperature");
        var topP = Number(root, "top_p") ?? 1.0;
        if (!(topP > 0 && topP <= 1)) throw new ApiError(400, $"top_p must be in (0, 1], got {topP}", "top_p");
        var topK = Int(root, "top_k") ?? 0;
        if (topK < -1) throw new ApiError(400, $"top_k must be -1, 0 or positive, got {topK}", "top_k");
        ulong? seed = null;
        if (root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null)
            seed = s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var sv) ? unchecked((ulong)sv)
                : throw new ApiError(400, "seed must be an integer", "seed");
        var n = Int(root, "n") ?? 1;
        if (n is < 1 or > MaxChoices) throw new ApiError(400, $"n must be in [1, {MaxChoices}], got {n}", "n");
        var stream = Bool(root, "stream") ?? false;
        var includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        if (!chat && Bool(root, "echo") == true) throw new ApiError(400, "echo is not supported", "echo");
        if (root.TryGetProperty("logprobs", out var lp) && lp.ValueKind is not (JsonValueKind.Null or JsonValueKind.False))
            throw new ApiError(400, "logprobs are not supported", "logprobs");
        return new OpenAiRequest(model, prompt, messages, maxTokens, temperature, topP, Math.Max(0, topK), seed, ParseStop(root), n, stream, includeUsage);
    }

    static string? ParsePrompt(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var p) || p.ValueKind == JsonValueKind.Null)
            throw new ApiError(400, "missing required parameter 'prompt'", "prompt");
        if (p.ValueKind == JsonValueKind.String) return p.GetString();
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String) return p[0].GetString();
        throw new ApiError(400, "prompt must be a string (or an array of one string)", "prompt");
    }

    static List<ChatMessage> ParseMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var m) || m.ValueKind != JsonValueKind.Array)
            throw new ApiError(400, "missing required parameter 'messages' (an array)", "messages");
        if (m.GetArrayLength() == 0) throw new ApiError(400, "messages must not be empty", "messages");
        var list = new List<ChatMessage>();
        var i = 0;
        foreach (var item in m.EnumerateArray())
        {
            var where = $"messages[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) throw new ApiError(400, $"{where} must be an object", where);
            var role = String(item, "role", where) ?? throw new ApiError(400, $"{where} has no 'role'", $"{where}.role");
            if (role is not ("system" or "user" or "assistant" or "developer"))
                throw new ApiError(400, $"{where}.role '{role}' is not supported (system, developer, user, assistant)", $"{where}.role");
            list.Add(new ChatMessage(role == "developer" ? "system" : role, Content(item, where)));
        }
        return list;
    }

    /// <summary>A message's content: a string, or an array of text parts (OpenAI's content-part form), joined.</summary>
    static string Content(JsonElement message, string where)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind == JsonValueKind.Array)
            return string.Concat(c.EnumerateArray().Select(part =>
                part.ValueKind == JsonValueKind.Object && String(part, "type", where) == "text" && String(part, "text", where) is { } t ? t
                    : throw new ApiError(400, $"{where}.content: only text parts are supported", $"{where}.content")));
        throw new ApiError(400, $"{where}.content must be a string or an array of text parts", $"{where}.content");
    }

    static List<string> ParseStop(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var s) || s.ValueKind == JsonValueKind.Null) return [];
        if (s.ValueKind == JsonValueKind.String) return s.GetString() is { Length: > 0 } one ? [one] : [];
        if (s.ValueKind == JsonValueKind.Array && s.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
            return s.EnumerateArray().Select(x => x.GetString()!).Where(x => x.Length > 0).ToList();
        throw new ApiError(400, "stop must be a string or an array of strings", "stop");
    }

    static string? String(JsonElement o, string name, string? where = null)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        var param = where is null ? name : $"{where}.{name}";
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new ApiError(400, $"{param} must be a string", param);
    }

    static int? Int(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : throw new ApiError(400, $"{name} must be an integer", name);
    }

    static double? Number(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new ApiError(400, $"{name} must be a number", name);
    }

    static bool? Bool(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw new ApiError(400, $"{name} must be a boolean", name);
    }
}
