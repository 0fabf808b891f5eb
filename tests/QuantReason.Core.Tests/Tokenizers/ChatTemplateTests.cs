using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class ChatTemplateTests
{
    static readonly ChatMessage[] Conversation =
    [
        ChatMessage.System("You are a careful mathematician."),
        ChatMessage.User("What is 2+2?"),
        ChatMessage.Assistant("4"),
        ChatMessage.User("And 3*3?"),
    ];

    // Llama 3.0 Instruct's template (abridged to the parts that render messages).
    const string Llama30Source =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    // Llama 3.2 Instruct's template: the parts that decide the system header.
    const string Llama32Source =
        "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- if strftime_now is defined %}\n        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}";

    // Qwen2.5 Instruct's template, the non-tool branch.
    const string Qwen25Source =
        "{%- if tools %}\n...{%- else %}\n    {%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}\n{%- endif %}\n{%- for message in messages %}\n        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n";

    // Qwen3's template writes no default system turn.
    const string Qwen3Source =
        "{%- if messages[0].role == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}\n{%- endif %}\n{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}{%- endif %}";

    // DeepSeek-R1-Distill's template: the parts that render system, user, assistant and the generation prompt.
    const string DeepSeekR1Source =
        "{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}{%- if message['role'] == 'user' %}{{'<｜User｜>' + message['content']}}{%- endif %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";

    static ChatTemplate Detect(string? source, params string[] tokens) =>
        ChatTemplate.Detect(source, t => tokens.Contains(t), "<|begin_of_text|>");

    [Fact]
    public void Llama3_renders_headers_and_eot()
    {
        var t = Detect(Llama30Source);
        Assert.Equal(ChatTemplateKind.Llama3, t.Kind);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a careful mathematician.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnd 3*3?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            t.Render(Conversation, addGenerationPrompt: true));
    }

    [Fact]
    public void Llama3_trims_content_and_omits_the_generation_prompt_when_not_asked()
    {
        var t = Detect(Llama30Source);
        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
            t.Render([ChatMessage.User("  Hi \n")], addGenerationPrompt: false));
    }

    [Fact]
    public void Llama32_always_writes_the_dated_system_turn()
    {
        var t = Detect(Llama32Source);
        Assert.True(t.KnowledgeCutoffHeader);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            t.Render([ChatMessage.User("What is 2+2?")], addGenerationPrompt: true));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>",
            t.Render([ChatMessage.System("Be brief."), ChatMessage.User("Q")], addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen25_adds_its_default_system_prompt_only_without_a_system_message()
    {
        var t = Detect(Qwen25Source);
        Assert.Equal(ChatTemplateKind.ChatMl, t.Kind);
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            t.Render([ChatMessage.User("What is 2+2?")], addGenerationPrompt: true));
        Assert.Equal(
            "<|im_start|>system\nYou are a careful mathematician.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
            "<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3*3?<|im_end|>\n<|im_start|>assistant\n",
            t.Render(Conversation, addGenerationPrompt: true));
    }

    [Fact]
    public void Qwen3_has_no_default_system_prompt()
    {
        var t = Detect(Qwen3Source);
        Assert.Equal(ChatTemplateKind.ChatMl, t.Kind);
        Assert.Null(t.DefaultSystemPrompt);
        Assert.Equal("<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
            t.Render([ChatMessage.User("What is 2+2?")], addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen3_with_thinking_disabled_writes_the_empty_think_block()
    {
        var source = Qwen3Source + "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}";
        var t = Detect(source);
        Assert.True(t.HasThinkingSwitch);
        var off = new ChatTemplate(ChatTemplateKind.ChatMl) { HasThinkingSwitch = true, EnableThinking = false };
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            off.Render([ChatMessage.User("Q")], addGenerationPrompt: true));
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", t.Render([ChatMessage.User("Q")], addGenerationPrompt: true));
    }

    [Fact]
    public void DeepSeekR1_puts_the_system_text_first_and_drops_earlier_reasoning()
    {
        var t = ChatTemplate.Detect(DeepSeekR1Source, _ => false, "<｜begin▁of▁sentence｜>");
        Assert.Equal(ChatTemplateKind.DeepSeekR1, t.Kind);
        Assert.Equal(
            "<｜begin▁of▁sentence｜>Be exact.<｜User｜>What is 2+2?<｜Assistant｜>4<｜end▁of▁sentence｜><｜User｜>And 3*3?<｜Assistant｜><think>\n",
            t.Render([ChatMessage.System("Be exact."), ChatMessage.User("What is 2+2?"), ChatMessage.Assistant("<think>\n2+2=4\n</think>4"),
                      ChatMessage.User("And 3*3?")], addGenerationPrompt: true));
    }

    [Fact]
    public void Without_a_template_source_the_special_tokens_decide()
    {
        Assert.Equal(ChatTemplateKind.Llama3, Detect(null, "<|start_header_id|>", "<|eot_id|>").Kind);
        Assert.Equal(ChatTemplateKind.ChatMl, Detect(null, "<|im_start|>", "<|im_end|>").Kind);
        Assert.Equal(ChatTemplateKind.Plain, Detect(null, "<s>", "</s>").Kind);
        Assert.Equal("Solve x+1=2.\n\nx=1",
            Detect(null).Render([ChatMessage.User("Solve x+1=2."), ChatMessage.Assistant("x=1")], addGenerationPrompt: true));
    }

    [SharedFact]
    public void Phi3_template_from_the_gguf_vocabulary_renders_its_turns()
    {
        var phi3 = VocabTestVectors.Discover().Cast<object[]>().Select(r => (string)r[0]).Single(f => f.Contains("phi-3", StringComparison.Ordinal));
        var tok = TokenizerLoader.FromGguf(Shared.PathOf("tokenizers", "vectors", phi3));
        var t = ChatTemplate.For(tok);
        Assert.Equal(ChatTemplateKind.Phi3, t.Kind);
        Assert.False(t.RendersSystem); // this template has no system branch: system turns are dropped
        Assert.Equal("<s><|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n4<|end|>\n<|user|>\nAnd 3*3?<|end|>\n<|assistant|>\n",
            t.Render(Conversation, addGenerationPrompt: true));
    }

    [Fact]
    public void Unknown_roles_are_rejected()
    {
        var e = Assert.Throws<QuantReasonException>(() => Detect(Llama30Source).Render([new ChatMessage("tool", "x")], true));
        Assert.Contains("tool", e.Message);
    }
}
