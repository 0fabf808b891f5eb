using QuantReason.Runtime;
using QuantReason.Data.Datasets;
using QuantReason.Data.Prompts;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Jobs;

/// <summary>
/// One evaluation as the CLI asks for it: a model directory (in-process) or an endpoint, a dataset, a prompt file, the
/// generation settings and the run directory. Validated once by <see cref="Validate"/>; <see cref="RunAsync"/> resumes
/// the run directory when it already holds predictions made with the same settings.
/// </summary>
public sealed record EvalJob
{
    public string? ModelDir { get; init; }
    /// <summary>A PEFT LoRA adapter folder applied unmerged on top of <see cref="ModelDir"/> (recorded in the manifest).</summary>
    public string? AdapterDir { get; init; }
    public EndpointOptions? Endpoint { get; init; }
    public required string Dataset { get; init; }
    public string? DataDir { get; init; }
    public string Prompt { get; init; } = "zero-shot-boxed";
    public string? PromptDir { get; init; }
    public int? Limit { get; init; }
    public int Samples { get; init; } = 1;
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1;
    public int TopK { get; init; }
    public int Seed { get; init; }
    public int MaxNewTokens { get; init; } = 1024;
    /// <summary>In-process: sequences per forward. Endpoint: requests in flight (<see cref="EndpointOptions.Concurrency"/>).</summary>
    public int Batch { get; init; } = 1;
    public bool Strict { get; init; }
    public required string Out { get; init; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    /// <summary>Name recorded for the model (default: its folder's name): a study names quantized copies after their source.</summary>
    public string? ModelName { get; init; }
    /// <summary>Calibration the quantized checkpoint was made with, recorded in the manifest (checkpoints do not carry it).</summary>
    public CalibrationInfo? Calibration { get; init; }
    /// <summary>Training the model underwent before evaluation (restoration, QAT), recorded in the manifest.</summary>
    public TrainingInfo? Training { get; init; }
    /// <summary>Quantization recorded instead of the checkpoint's own: a restored model merged into f32 keeps its base's.</summary>
    public QuantizationInfo? BaseQuantization { get; init; }
    /// <summary>In-process only: forces the activation / KV-cache scheme (a4, a8g128, kv4g32, none); null keeps the
    /// checkpoint's. The schemes in force are recorded as the run's tags <c>activations</c> and <c>kv_cache</c>.</summary>
    public string? Activations { get; init; }
    public string? KvCache { get; init; }

    public void Validate()
    {
        if ((ModelDir is null) == (Endpoint is null)) throw new QuantReasonException("give exactly one of --model DIR or --endpoint URL", "eval");
        Endpoint?.Validate();
        if (AdapterDir is not null && ModelDir is null) throw new QuantReasonException("applies to an in-process --model, not an endpoint", "--adapter");
        if (Limit is < 1) throw new QuantReasonException($"--limit must be at least 1, got {Limit}", "--limit");
        if (Samples < 1) throw new QuantReasonException($"--samples must be at least 1, got {Samples}", "--samples");
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new QuantReasonException($"--temperature must be ≥ 0, got {Temperature}", "--temperature");
        if (!(TopP > 0 && TopP <= 1)) throw new QuantReasonException($"--top-p must be in (0, 1], got {TopP}", "--top-p");
        if (TopK < 0) throw new QuantReasonException($"--top-k must be ≥ 0, got {TopK}", "--top-k");
        if (MaxNewTokens < 1) throw new QuantReasonException($"--max-new-tokens must be at least 1, got {MaxNewTokens}", "--max-new-tokens");
        if (Batch < 1) throw new QuantReasonException($"--batch must be at least 1, got {Batch}", "--batch");
        if (Endpoint is not null && (Activations ?? KvCache) is not null)
            throw new QuantReasonException("--activations and --kv-cache apply to an in-process --model, not an endpoint", Activations is null ? "--kv-cache" : "--activations");
        if (Activations is not null) Weights.ActivationScheme.Parse(Activations, "a", "--activations");
        if (KvCache is not null) Weights.ActivationScheme.Parse(KvCache, "kv", "--kv-cache");
        if (Samples > 1 && Temperature == 0)
            throw new QuantReasonException("--samples above 1 with greedy decoding repeats one answer; set --temperature", "--samples");
    }

    /// <summary>
    /// Loads what the job names, opens (or resumes) the run directory and evaluates; <paramref name="warn"/> receives
    /// every skipped dataset line and resume notice. Returns the run directory's final manifest.
    /// </summary>
    public async Task<RunManifest> RunAsync(IProgressSink progress, Action<string> warn, CancellationToken cancel = default)
    {
        Validate();
        var datasetPath = DatasetCatalog.Resolve(Dataset, DataDirectory.Resolve(DataDir));
        var dataset = DatasetLoader.Load(datasetPath, strict: Strict);
        foreach (var w in dataset.Warnings) warn(w);
        var problems = Limit is { } n ? dataset.Problems.Take(n).ToList() : dataset.Problems;
        var prompt = PromptLibrary.Load(Prompt, PromptDir);

        ModelSession? session = null;
        EndpointTextGenerator? endpoint = null;
        try
        {
            ITextGenerator generator;
            ModelInfo model;
            QuantizationInfo? quantization = null;
            BackendInfo backend;
            int concurrency;
            var tags = Tags;
            if (ModelDir is not null)
            {
                session = ModelSession.Load(ModelDir, Batch, AdapterDir);
                var schemes = session.Model.Transformer.ForceSchemes(Activations, KvCache);
                if (schemes.Count > 0) tags = Tags.Concat(schemes.Where(s => !Tags.ContainsKey(s.Key))).ToDictionary();
                generator = new RuntimeTextGenerator(session);
                model = RunIdentity.Model(ModelDir, session.Model.Config, Out);
                if (ModelName is not null) model = model with { Name = ModelName };
                quantization = BaseQuantization ?? RunIdentity.Quantization(session.Model.Weights.Quantization, Calibration);
                backend = new BackendInfo("in-process", null, 0, 0);
                concurrency = Batch;
            }
            else
            {
                endpoint = new EndpointTextGenerator(Endpoint! with { Concurrency = Batch });
                generator = endpoint;
                var name = await endpoint.ModelAsync(cancel);
                model = new ModelInfo(name, null, null, null, null);
                backend = new BackendInfo("endpoint", endpoint.Url, 0, 0);
                concurrency = Batch;
            }
            var manifest = new RunManifest
            {
                RunId = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(Out))),
                Model = model,
                Quantization = quantization,
                Adapter = AdapterDir is null ? null : RunIdentity.Adapter(AdapterDir, Out),
                Training = Training,
                Dataset = RunIdentity.Dataset(Dataset, datasetPath, problems.Count, Out),
                Prompt = new PromptInfo(prompt.Name, prompt.Digest),
                Generation = new GenerationInfo(MaxNewTokens, Temperature, TopP, TopK, Seed, Samples),
                Backend = backend,
                Tags = tags,
            };
            using var run = RunDirectory.OpenOrCreate(Out, manifest);
            foreach (var w in run.Warnings) warn(w);
            // a complete run is simply re-read (the study reruns finished configurations); only a partial one is news
            if (run.FinishedCount > 0 && run.FinishedCount < problems.Count * Samples)
                warn($"{Out}: resuming, {run.FinishedCount} predictions already finished");
            await EvaluationRunner.RunAsync(problems, prompt, generator, run, progress, concurrency, cancel);
            return run.Manifest;
        }
        finally
        {
            session?.Dispose();
            endpoint?.Dispose();
        }
    }
}
