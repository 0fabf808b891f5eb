using QuantReason.Models;
using QuantReason.Tests.Jobs;

namespace QuantReason.Tests.Models;

public sealed class ModelDefaultsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-model-defaults-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_shipped_model_declares_its_prompt_and_calibration_and_a_plain_checkpoint_declares_nothing()
    {
        Assert.Equal(new ModelDefaults("step-tags", "stepmath", true), ModelDefaults.Load(StudyRunnerTests.Model));
        Assert.Equal(ModelDefaults.None, ModelDefaults.Load(_dir));
        new ModelDefaults("p", "stepmath", false).Write(_dir);
        Assert.Equal(new ModelDefaults("p", "stepmath", false), ModelDefaults.Load(_dir));
        File.WriteAllText(Path.Combine(_dir, ModelDefaults.FileName), "{\"calibration\": {\"source\": \"calib.jsonl\"}}");
        Assert.Equal(Path.Combine(_dir, "calib.jsonl"), ModelDefaults.Load(_dir).CalibrationSource); // beside the model
    }

    [Theory]
    [InlineData("{\"promt\": \"x\"}", "unknown key 'promt'")]
    [InlineData("{\"prompt\": 3}", "'prompt' must be a non-empty string")]
    [InlineData("{\"calibration\": {\"chat_template\": true}}", "'calibration' needs a 'source'")]
    [InlineData("{\"calibration\": {\"source\": \"stepmath\", \"chat\": true}}", "unknown key 'calibration.chat'")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{", "malformed JSON")]
    public void Bad_files_are_one_error_naming_the_file(string json, string expected)
    {
        var path = Path.Combine(_dir, ModelDefaults.FileName);
        File.WriteAllText(path, json);
        var e = Assert.Throws<QuantReasonException>(() => ModelDefaults.Load(_dir));
        Assert.Equal(path, e.Where);
        Assert.Contains(expected, e.Message);
    }
}
