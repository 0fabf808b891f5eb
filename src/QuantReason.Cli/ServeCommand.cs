using System.CommandLine;
using QuantReason.Runtime;
using QuantReason.Serving;

namespace QuantReason.Cli;

/// <summary>
/// <c>quantreason serve --model DIR [--port P] [--host 127.0.0.1] [--batch B]</c>: an OpenAI-compatible server for one
/// model (quantized checkpoints included) until Ctrl+C.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "checkpoint directory", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port)", DefaultValueFactory = _ => 8000 };
        var host = new Option<string>("--host") { Description = "address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var batch = new Option<int>("--batch") { Description = "requests batched into one forward at most", DefaultValueFactory = _ => 8 };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter folder applied unmerged on top of --model (adapter_config.json, adapter_model.safetensors)" };
        var quiet = new Option<bool>("--quiet") { Description = "do not log each request" };
        var cmd = new Command("serve", "Serve a model over /v1/models, /v1/completions and /v1/chat/completions (streaming and not).")
            { model, adapter, port, host, batch, quiet };
        // The asynchronous action gets System.CommandLine's token, cancelled on Ctrl+C and SIGTERM.
        cmd.SetAction((parse, stop) => Task.Run(() => Cli.Guard(parse, () =>
        {
            using var session = ModelSession.Load(parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(adapter));
            {
                var log = parse.GetValue(quiet) ? null : TextWriter.Synchronized(Cli.Err);
                var server = OpenAiServer.StartAsync(session, parse.GetValue(host)!, parse.GetValue(port), log).GetAwaiter().GetResult();
                Cli.Out.WriteLine($"serving '{session.Name}' on {server.Address}v1 (batch {session.Queue.MaxBatch}); Ctrl+C stops");
                server.WaitAsync(stop).GetAwaiter().GetResult();
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                Cli.Out.WriteLine("stopped");
                return 0;
            }
        })));
        return cmd;
    }
}
