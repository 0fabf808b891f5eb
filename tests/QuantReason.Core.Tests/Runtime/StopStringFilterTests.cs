using QuantReason.Runtime;

namespace QuantReason.Tests.Runtime;

public class StopStringFilterTests
{
    static string Stream(IReadOnlyList<string> stops, params string[] pieces)
    {
        var f = new StopStringFilter(stops);
        return string.Concat(pieces.Select(f.Push)) + f.Flush();
    }

    [Fact]
    public void Text_before_a_stop_split_across_pieces_is_emitted_and_nothing_after_it()
    {
        Assert.Equal("The answer is 4.", Stream(["\n\nQ:"], "The ans", "wer is 4.\n", "\nQ", ": next"));
    }

    [Fact]
    public void A_partial_stop_is_held_back_until_it_cannot_become_one()
    {
        var f = new StopStringFilter(["END"]);
        Assert.Equal("ab", f.Push("abEN"));   // "EN" could still become END
        Assert.Equal("E", f.Push("x"));       // the last len(END) − 1 characters always wait
        Assert.False(f.Stopped);
        Assert.Equal("Nxy", f.Push("yEND tail"));
        Assert.True(f.Stopped);
        Assert.Equal("", f.Flush());
    }

    [Fact]
    public void The_earliest_of_several_stops_wins_and_later_pushes_emit_nothing()
    {
        var f = new StopStringFilter(["###", "\n"]);
        Assert.Equal("a", f.Push("a\nb###"));
        Assert.True(f.Stopped);
        Assert.Equal("", f.Push("more"));
        Assert.Equal("", f.Flush("end"));
    }

    [Fact]
    public void Without_stops_everything_passes_at_once()
    {
        var f = new StopStringFilter([]);
        Assert.Equal("abc", f.Push("abc"));
        Assert.Equal("", f.Flush());
    }
}
