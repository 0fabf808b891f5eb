namespace QuantReason.Tests.Evaluation.Imports;

/// <summary>
/// Hand-written logs in the tools' real layouts: lm-evaluation-harness <c>--log_samples</c> lines (current
/// <c>gen_args_N/arg_N</c> arguments, one line per filter) and OpenCompass prediction files (index-keyed JSON, and JSON lines).
/// </summary>
static class ImportSamples
{
    public const string LmEvalGsm8k = """
{"doc_id": 0, "doc": {"question": "Janet has 16 eggs and eats 3. How many are left?", "answer": "16 - 3 = <<16-3=13>>13\n#### 13"}, "target": "16 - 3 = <<16-3=13>>13\n#### 13", "arguments": {"gen_args_0": {"arg_0": "Question: Janet has 16 eggs and eats 3. How many are left?\nAnswer:", "arg_1": {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": false, "temperature": 0.0, "max_gen_toks": 256}}}, "resps": [["She has 16 - 3 = 13 eggs.\n#### 13"]], "filtered_resps": ["13"], "filter": "strict-match", "metrics": ["exact_match"], "doc_hash": "a1", "prompt_hash": "b1", "target_hash": "c1", "exact_match": 1.0}
{"doc_id": 0, "doc": {"question": "Janet has 16 eggs and eats 3. How many are left?", "answer": "16 - 3 = <<16-3=13>>13\n#### 13"}, "target": "16 - 3 = <<16-3=13>>13\n#### 13", "arguments": {"gen_args_0": {"arg_0": "Question: Janet has 16 eggs and eats 3. How many are left?\nAnswer:", "arg_1": {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": false, "temperature": 0.0, "max_gen_toks": 256}}}, "resps": [["She has 16 - 3 = 13 eggs.\n#### 13"]], "filtered_resps": ["13"], "filter": "flexible-extract", "metrics": ["exact_match"], "doc_hash": "a1", "prompt_hash": "b1", "target_hash": "c1", "exact_match": 1.0}
{"doc_id": 1, "doc": {"question": "A box holds 4 pens. How many pens are in 3 boxes?", "answer": "4 * 3 = <<4*3=12>>12\n#### 12"}, "target": "4 * 3 = <<4*3=12>>12\n#### 12", "arguments": {"gen_args_0": {"arg_0": "Question: A box holds 4 pens. How many pens are in 3 boxes?\nAnswer:", "arg_1": {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": false, "temperature": 0.0, "max_gen_toks": 256}}}, "resps": [["3 boxes of 4 pens is 4 + 3 = 7 pens.\n#### 7"]], "filtered_resps": ["7"], "filter": "strict-match", "metrics": ["exact_match"], "doc_hash": "a2", "prompt_hash": "b2", "target_hash": "c2", "exact_match": 0.0}
{"doc_id": 1, "doc": {"question": "A box holds 4 pens. How many pens are in 3 boxes?", "answer": "4 * 3 = <<4*3=12>>12\n#### 12"}, "target": "4 * 3 = <<4*3=12>>12\n#### 12", "arguments": {"gen_args_0": {"arg_0": "Question: A box holds 4 pens. How many pens are in 3 boxes?\nAnswer:", "arg_1": {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": false, "temperature": 0.0, "max_gen_toks": 256}}}, "resps": [["3 boxes of 4 pens is 4 + 3 = 7 pens.\n#### 7"]], "filtered_resps": ["7"], "filter": "flexible-extract", "metrics": ["exact_match"], "doc_hash": "a2", "prompt_hash": "b2", "target_hash": "c2", "exact_match": 0.0}
""";

    /// <summary>minerva_math with two repeats: its answer field is 0.5 written as a fraction; the outputs say \frac12 and 5E-01.</summary>
    public const string LmEvalMinervaMath = """
{"doc_id": 7, "doc": {"problem": "What is $\\frac{3}{6}$ in lowest terms?", "level": "Level 1", "type": "Prealgebra", "solution": "It is $\\boxed{\\frac{1}{2}}$.", "answer": "\\frac{1}{2}"}, "target": "\\frac{1}{2}", "arguments": {"gen_args_0": {"arg_0": "Problem:\nWhat is $\\frac{3}{6}$ in lowest terms?\n\nSolution:", "arg_1": {"until": ["Problem:"], "do_sample": true, "temperature": 0.6, "max_gen_toks": 1024}}}, "resps": [["Dividing by 3 gives $\\frac12$.\nFinal Answer: The final answer is $\\frac12$. I hope it is correct.", "So it is 5E-01. The answer is 5E-01"]], "filtered_resps": [["\\frac12", "5E-01"]], "filter": "none", "metrics": ["exact_match"], "doc_hash": "d", "prompt_hash": "e", "target_hash": "f", "exact_match": 1.0}
""";

    public const string OpenCompassGsm8k = """
{
    "0": {
        "origin_prompt": [
            {
                "role": "HUMAN",
                "prompt": "Question: Janet has 16 eggs and eats 3. How many are left?\nLet's think step by step\nAnswer:"
            }
        ],
        "prediction": "Janet has 16 eggs. She eats 3, so 16 - 3 = 13. The answer is 13.",
        "gold": "13"
    },
    "1": {
        "origin_prompt": [
            {
                "role": "HUMAN",
                "prompt": "Question: A box holds 4 pens. How many pens are in 3 boxes?\nLet's think step by step\nAnswer:"
            }
        ],
        "prediction": "Each box has 4 pens, 3 boxes have 4 * 3 = 12 pens. The answer is 12.",
        "gold": "12"
    }
}
""";

    public const string OpenCompassMathJsonl = """
{"idx": 1, "origin_prompt": "Problem:\nWhat is $2^{10}$?\nSolution:", "prediction": ["We get $\\boxed{1024}$.", "It is $\\boxed{1,024}$."], "gold": "1024"}
{"idx": 0, "origin_prompt": "Problem:\nWhat is $\\sqrt{2}$ to three places?\nSolution:", "prediction": "About $\\boxed{1.414}$.", "gold": "\\sqrt{2}"}
""";
}
