using QuantReason.Models;
using QuantReason.Quantization.Model;
using QuantReason.Tests.Jobs;

namespace QuantReason.Tests.Quantization.Model;

public sealed class QuantizeDefaultsTests
{
    static readonly ModelConfig StepMathRef = ModelConfig.Load(StudyRunnerTests.Model); // widths 128 and 320, context 128

    [Fact]
    public void Left_out_settings_follow_the_models_widths_context_and_declared_calibration()
    {
        var o = QuantizeDefaults.For(StepMathRef, ModelDefaults.Load(StudyRunnerTests.Model), QuantMethod.Gptq, null, null, false, false, null, 128, null, null, 0, null);
        Assert.Equal(64, o.GroupSize); // 128 does not divide 320
        Assert.Equal(new CalibrationOptions("stepmath", 128, 128, 0, true), o.Calibration);
        // a model that declares nothing keeps the general defaults, within its context
        var plain = QuantizeDefaults.For(StepMathRef, ModelDefaults.None, QuantMethod.Awq, null, null, false, false, null, 16, null, null, 0, null);
        Assert.Equal(new CalibrationOptions("gsm8k", 16, 128, 0, false), plain.Calibration);
        // what was given is kept, also where it will not fit (the quantizer then names the flag)
        var given = QuantizeDefaults.For(StepMathRef, ModelDefaults.None, QuantMethod.Gptq, 3, 128, false, false, "stepmath", 4, 512, false, 0, null);
        Assert.Equal((128, 512, false), (given.GroupSize, given.Calibration!.Length, given.Calibration.ChatTemplate));
        Assert.Equal([-1, 32, 64], QuantizeDefaults.ValidGroupSizes(StepMathRef, given));
        Assert.Equal(-1, QuantizeDefaults.For(StepMathRef, ModelDefaults.None, QuantMethod.SmoothQuant, null, null, false, false, null, 16, null, null, 0, null).GroupSize);
    }
}
