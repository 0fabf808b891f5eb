namespace QuantReason.Data.StepMath;

/// <summary>A generated problem with its place in a split: <c>stepmath/test/3/00017</c> is the 18th level-3 test problem.</summary>
public sealed record StepMathItem(StepMathSplit Split, int Level, int Index, StepMathProblem Problem)
{
    public string UniqueId => FormatId(Split, Level, Index);

    public static string FormatId(StepMathSplit split, int level, int index) => $"stepmath/{split.Name()}/{level}/{index:D5}";

    public static bool TryParseId(string id, out StepMathSplit split, out int level, out int index)
    {
        split = default; level = index = 0;
        var p = id.Split('/');
        if (p.Length != 4 || p[0] != "stepmath") return false;
        return StepMathSplits.TryParse(p[1], out split)
            && int.TryParse(p[2], out level) && level is >= 1 and <= StepMathGenerator.MaxLevel
            && int.TryParse(p[3], out index) && index >= 0;
    }
}
