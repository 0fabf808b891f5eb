using QuantReason.Data.StepMath;
using QuantReason.Judging;

namespace QuantReason.Tests.Data.StepMath;

/// <summary>data/stepmath/sample-test.jsonl is real generator output: it must regenerate byte for byte.</summary>
public class SampleDataTests
{
    [Fact]
    public void The_committed_sample_is_what_the_generator_writes()
    {
        var path = RepoFiles.PathOf("data", "stepmath", "sample-test.jsonl");
        var records = StepMathJsonl.Read(path).ToList();
        var ms = new MemoryStream();
        StepMathJsonl.Write(ms, new StepMathGenerator(0).Generate(StepMathSplit.Test, records.Count));
        Assert.Equal(File.ReadAllBytes(path), ms.ToArray());
        Assert.All(records, r => Assert.True(StepVerifier.Verify(StepMathProblem.Parse(r.Problem), r.Solution).IsCorrect));
    }
}
