using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class ByteLevelMappingTests
{
    [Fact]
    public void Mapping_is_a_bijection_onto_printable_characters()
    {
        var chars = Enumerable.Range(0, 256).Select(b => ByteLevelMapping.ByteToChar((byte)b)).ToList();
        Assert.Equal(256, chars.Distinct().Count());
        Assert.All(chars, c => Assert.False(char.IsWhiteSpace(c) || char.IsControl(c)));
        for (var b = 0; b < 256; b++) Assert.Equal(b, ByteLevelMapping.CharToByte(chars[b]));
    }

    [Fact]
    public void Known_gpt2_characters()
    {
        Assert.Equal('Ġ', ByteLevelMapping.ByteToChar((byte)' '));   // U+0120
        Assert.Equal('Ċ', ByteLevelMapping.ByteToChar((byte)'\n'));  // U+010A
        Assert.Equal('A', ByteLevelMapping.ByteToChar((byte)'A'));
        Assert.Equal("ĠÃ©", ByteLevelMapping.Encode(" é"));
        Assert.Equal(-1, ByteLevelMapping.CharToByte('€'));
    }
}
