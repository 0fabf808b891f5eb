using QuantReason.Tokenizers;
using QuantReason.Data.StepMath;

namespace QuantReason.Tokenizers;

/// <summary>
/// The StepMath reference model's tokenizer: one token per character of <see cref="StepMathGenerator.Alphabet"/>, the
/// four step tags as added tokens that stay in decoded text (the verifier and the answer extractor read them), and
/// &lt;pad&gt; / &lt;s&gt; / &lt;/s&gt; as special tokens. Its chat template keeps only the last user turn, so a chat
/// prompt file (step-tags) renders a StepMath problem as bos + problem text: the training format.
/// </summary>
public static class StepMathTokenizer
{
    public static CharacterVocabulary Vocabulary { get; } = new CharacterVocabulary
    {
        Tags = SolutionFormat.Tags,
        Characters = StepMathGenerator.Alphabet,
        ChatTemplate = ChatTemplate.LastUserTurnSource,
        ModelMaxLength = 128,
    }.Validate();

    /// <summary>Writes the Hugging Face tokenizer files into a model folder and loads them back as the toolkit reads them.</summary>
    public static ITokenizer Write(string dir)
    {
        Vocabulary.Write(dir);
        return TokenizerLoader.FromDirectory(dir);
    }
}
