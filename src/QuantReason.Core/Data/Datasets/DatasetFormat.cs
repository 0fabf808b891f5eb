using QuantReason.Evaluation;
namespace QuantReason.Data.Datasets;

/// <summary>The public JSONL schemas a dataset file may follow; detected from the fields of its first record.</summary>
public enum DatasetFormat
{
    /// <summary>MATH-500 / PRM800K split: `problem`, `solution`, `answer`, `subject`, `level` (int), `unique_id`.</summary>
    Math500,

    /// <summary>Full MATH: `problem`, `level` ("Level 3"), `type`, `solution` (gold = last \boxed{}), `idx`.</summary>
    Math,

    /// <summary>GSM8K: `question`, `answer` whose final line is `#### N`.</summary>
    Gsm8k,
}
