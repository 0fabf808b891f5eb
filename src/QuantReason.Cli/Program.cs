namespace QuantReason.Cli;

public static class Program
{
    public static int Main(string[] args) => Commands.Run(args);
}
