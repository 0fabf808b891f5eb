using System.CommandLine;
using QuantReason.Models;
using QuantReason.Quantization.Model;
using Spectre.Console;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason quantize --model DIR --method rtn|gptq|awq|smoothquant|ptqtp … --out DIR</c>: quantizes a checkpoint
/// layer by layer with a progress bar per layer, resumes an interrupted run in the same --out, and ends with a summary of
/// per-layer reconstruction error, time and size on disk.
/// </summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Dense checkpoint directory", Required = true };
        var method = new Option<string>("--method") { Description = "rtn, gptq, awq, smoothquant (W8A8) or ptqtp (trit-planes)", Required = true };
        var bits = new Option<int?>("--bits") { Description = "Bits per weight: 2, 3, 4 or 8 (default 4; smoothquant 8; ptqtp 2)" };
        var group = new Option<int?>("--group-size") { Description = "Input channels per group: -1 (per channel), 32, 64 or 128 (default 128, or the largest that divides the model's widths; smoothquant -1)" };
        var sym = new Option<bool>("--sym") { Description = "Symmetric grid (no zero point; for awq: zero_point false)" };
        var descAct = new Option<bool>("--desc-act", "--act-order") { Description = "GPTQ act-order: quantize columns by descending Hessian diagonal" };
        var calib = new Option<string?>("--calib") { Description = "Calibration source: gsm8k, math, stepmath, or a text/JSONL file (default: the model's quantreason.json, else gsm8k)" };
        var samples = new Option<int>("--calib-samples") { Description = "Calibration samples", DefaultValueFactory = _ => 128 };
        var length = new Option<int?>("--calib-len", "--calib-seq-len") { Description = "Tokens per calibration sample (default 512, or the model's context if shorter)" };
        var chat = new Option<bool?>("--chat-template") { Description = "Render calibration documents as chat exchanges in the model's template (default: as the model's quantreason.json says)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for drawing calibration documents", DefaultValueFactory = _ => 0UL };
        var alpha = new Option<double>("--alpha") { Description = "SmoothQuant migration strength", DefaultValueFactory = _ => 0.5 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where gsm8k/math live (default $QUANTREASON_DATA, else a per-user folder)" };
        var output = new Option<string>("--out") { Description = "Output directory (an interrupted run there resumes)", Required = true };
        var cmd = new Command("quantize", "Quantize a checkpoint (GPTQ/AWQ layouts, W8A8, trit-planes); resumable")
        {
            model, method, bits, group, sym, descAct, calib, samples, length, chat, seed, alpha, dataDir, output,
        };
        // Ctrl-C and SIGTERM arrive as System.CommandLine's cancellation token, as for eval and serve.
        cmd.SetAction((p, cancel) => Task.Run(() => Cli.Guard(p, () =>
        {
            var m = QuantizeOptions.ParseMethod(p.GetValue(method)!);
            var modelDir = p.GetValue(model)!;
            if (!Directory.Exists(modelDir)) throw new QuantReasonException("model directory not found", modelDir);
            // what was left out follows the model: its widths, its context, its declared calibration source
            var options = QuantizeDefaults.For(ModelConfig.Load(modelDir), ModelDefaults.Load(modelDir), m, p.GetValue(bits), p.GetValue(group),
                    p.GetValue(sym), p.GetValue(descAct), p.GetValue(calib), p.GetValue(samples), p.GetValue(length), p.GetValue(chat), p.GetValue(seed), p.GetValue(dataDir))
                with { SmoothQuantAlpha = p.GetValue(alpha) };
            return Run(modelDir, p.GetValue(output)!, options, cancel);
        })));
        return cmd;
    }

    static int Run(string modelDir, string outDir, QuantizeOptions options, CancellationToken cancel)
    {
        var report = SpectreProgress.Run(progress => ModelQuantizer.Run(modelDir, outDir, options, progress, cancel));

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Cli.Out) });
        var table = new Table().AddColumns("layer", "seconds", "mean ‖Ŵ−W‖/‖W‖", "max ‖Ŵ−W‖/‖W‖", "worst linear");
        foreach (var l in report.Layers)
        {
            var worst = l.Linears.MaxBy(x => x.RelativeError)!;
            table.AddRow($"{l.Layer}", $"{l.Seconds:F1}", $"{l.Linears.Average(x => x.RelativeError):F4}", $"{worst.RelativeError:F4}",
                Markup.Escape(worst.Name[(worst.Name.IndexOf(".", "model.layers.".Length, StringComparison.Ordinal) + 1)..]));
        }
        console.Write(table);
        if (report.Calibration is not null) console.MarkupLineInterpolated($"calibration: {report.Calibration}");
        var resumed = report.ResumedLayers > 0 ? $", {report.ResumedLayers} layers resumed" : "";
        console.MarkupLineInterpolated(
            $"{options.Method.ToString().ToLowerInvariant()} {options.Bits}-bit g{options.GroupSize}: wrote {report.OutDir} ({report.BytesOnDisk / 1e6:F1} MB) in {report.Seconds:F1} s{resumed}");
        return 0;
    }
}
