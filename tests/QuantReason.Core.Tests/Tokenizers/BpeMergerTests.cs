using FsCheck;
using FsCheck.Fluent;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class BpeMergerTests
{
    /// <summary>
    /// The reference algorithm of GPT-2's encoder.py: repeatedly take the lowest-ranked adjacent pair and merge every
    /// non-overlapping occurrence of it left to right. Quadratic, obviously correct.
    /// </summary>
    static List<string> ReferenceBpe(List<string> word, Dictionary<(string, string), int> ranks)
    {
        word = [.. word];
        while (word.Count > 1)
        {
            (string, string)? best = null;
            var bestRank = int.MaxValue;
            for (var i = 0; i + 1 < word.Count; i++)
                if (ranks.TryGetValue((word[i], word[i + 1]), out var r) && r < bestRank) { bestRank = r; best = (word[i], word[i + 1]); }
            if (best is not { } pair) break;
            var merged = new List<string>();
            for (var i = 0; i < word.Count;)
            {
                if (i + 1 < word.Count && (word[i], word[i + 1]) == pair) { merged.Add(pair.Item1 + pair.Item2); i += 2; }
                else merged.Add(word[i++]);
            }
            word = merged;
        }
        return word;
    }

    [Fact]
    public void Priority_queue_merge_matches_the_reference_on_random_vocabularies()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var rng = new Random(seed);
            var tokens = new List<string> { "a", "b", "c", "d" };
            var merges = new List<(string, string)>();
            // Merges are created in rank order from tokens that already exist, as BPE training does.
            for (var k = 0; k < rng.Next(1, 40); k++)
            {
                var l = tokens[rng.Next(tokens.Count)];
                var r = tokens[rng.Next(tokens.Count)];
                if (merges.Contains((l, r))) continue;
                merges.Add((l, r));
                if (!tokens.Contains(l + r)) tokens.Add(l + r);
            }
            var vocab = new Vocabulary([.. tokens], Enumerable.Repeat(TokenType.Normal, tokens.Count).ToArray(), "test");
            var table = MergeTable.FromRankedMerges(merges, vocab);
            var ranks = new Dictionary<(string, string), int>();
            for (var i = 0; i < merges.Count; i++) ranks.TryAdd(merges[i], i);

            var word = Enumerable.Range(0, rng.Next(0, 60)).Select(_ => "abcd"[rng.Next(4)].ToString()).ToList();
            var ids = word.Select(s => vocab.Find(s)!.Value).ToList();
            var survivors = new List<int>();
            new BpeMerger().Merge(ids, table, survivors);
            var got = survivors.Select(s => vocab[ids[s]]).ToList();
            return got.SequenceEqual(ReferenceBpe(word, ranks));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Overlapping_pairs_merge_leftmost_first()
    {
        var vocab = new Vocabulary(["a", "aa"], [TokenType.Normal, TokenType.Normal], "test");
        var table = MergeTable.FromRankedMerges([("a", "a")], vocab);
        var ids = new List<int> { 0, 0, 0 };
        var survivors = new List<int>();
        new BpeMerger().Merge(ids, table, survivors);
        Assert.Equal(["aa", "a"], survivors.Select(s => vocab[ids[s]]));
    }
}
