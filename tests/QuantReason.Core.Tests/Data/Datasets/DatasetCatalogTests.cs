using QuantReason.Data.Datasets;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;

namespace QuantReason.Tests.Data.Datasets;

public class DatasetCatalogTests
{
    [Fact]
    public void Unknown_names_list_the_known_ones()
    {
        var e = Assert.Throws<QuantReasonException>(() => DatasetCatalog.Get("mmlu"));
        Assert.Contains("math500, math, gsm8k, processbench", e.Message);
    }

    [Fact]
    public void A_name_that_is_not_downloaded_says_how_to_fetch_it()
    {
        var empty = Directory.CreateTempSubdirectory("qr-empty-").FullName;
        try
        {
            var e = Assert.Throws<QuantReasonException>(() => DatasetCatalog.Resolve("gsm8k", empty));
            Assert.Contains("quantreason data fetch gsm8k", e.Message);
        }
        finally { Directory.Delete(empty); }
    }

    [SharedFact]
    public void Names_resolve_to_the_main_file_and_paths_to_themselves()
    {
        var root = Shared.PathOf("data");
        Assert.Equal(Path.Combine(root, "math500", "test.jsonl"), DatasetCatalog.Resolve("MATH500", root));
        var file = Path.Combine(root, "gsm8k", "train.jsonl");
        Assert.Equal(file, DatasetCatalog.Resolve(file, root));
    }
}
