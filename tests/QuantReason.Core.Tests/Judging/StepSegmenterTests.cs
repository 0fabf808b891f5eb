using QuantReason.Judging;

namespace QuantReason.Tests.Judging;

public sealed class StepSegmenterTests
{
    [Fact]
    public void Step_tags_give_the_steps_without_the_answer()
    {
        var s = StepSegmenter.Segment("<|step_start|>9-1=8<|step_end|><|step_start|>8-1=7<|step_end|><|answer_start|>\\boxed{7}<|answer_end|>");
        Assert.Equal(SegmentationRule.StepTags, s.Rule);
        Assert.Equal(["9-1=8", "8-1=7"], s.Steps);
    }

    [Fact]
    public void Blank_lines_separate_paragraphs_and_a_single_paragraph_falls_back_to_lines()
    {
        var p = StepSegmenter.Segment("First, 2 + 2 = 4.\nSo four.\r\n\r\n  Then 4 * 3 = 12.\n\n\n");
        Assert.Equal(SegmentationRule.Paragraphs, p.Rule);
        Assert.Equal(["First, 2 + 2 = 4.\nSo four.", "Then 4 * 3 = 12."], p.Steps);
        var l = StepSegmenter.Segment("2 + 2 = 4\n4 * 3 = 12\n");
        Assert.Equal(SegmentationRule.Lines, l.Rule);
        Assert.Equal(2, l.Steps.Count);
        Assert.Single(StepSegmenter.Segment("one line").Steps);
    }

    /// <summary>ProcessBench's steps joined as paragraphs come back as the experts' steps, so their indices line up.</summary>
    [SharedTheory]
    [MemberData(nameof(Splits))]
    public void ProcessBench_solutions_joined_by_blank_lines_segment_back_into_the_labelled_steps(string file)
    {
        var items = ProcessBenchItem.Load(Shared.PathOf("data", "processbench", file));
        Assert.NotEmpty(items);
        foreach (var item in items)
            Assert.Equal(item.Steps.Select(s => s.Trim()), StepSegmenter.Segment(string.Join("\n\n", item.Steps)).Steps);
    }

    public static TheoryData<string> Splits => Shared.Files("*.json", "data", "processbench");
}
