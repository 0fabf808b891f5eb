using System.Globalization;
using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>
/// An exact rational number with BigInteger parts, always reduced and with a positive denominator, so that two equal
/// values have equal fields (value equality is structural).
/// </summary>
public readonly record struct Rational
{
    public BigInteger Numerator { get; }
    public BigInteger Denominator { get; }

    public Rational(BigInteger numerator, BigInteger denominator)
    {
        if (denominator.IsZero) throw new DivideByZeroException("rational with zero denominator");
        if (denominator.Sign < 0) { numerator = -numerator; denominator = -denominator; }
        var g = BigInteger.GreatestCommonDivisor(numerator, denominator);
        if (!g.IsOne && !g.IsZero) { numerator /= g; denominator /= g; }
        Numerator = numerator;
        Denominator = numerator.IsZero ? BigInteger.One : denominator;
    }

    public static readonly Rational Zero = new(0, 1);
    public static readonly Rational One = new(1, 1);
    public static readonly Rational MinusOne = new(-1, 1);
    public static readonly Rational Half = new(1, 2);

    public static implicit operator Rational(int n) => new(n, 1);
    public static implicit operator Rational(BigInteger n) => new(n, 1);

    public bool IsZero => Numerator.IsZero;
    public bool IsInteger => Denominator.IsOne;
    public int Sign => Numerator.Sign;

    public static Rational operator +(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator + b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static Rational operator -(Rational a, Rational b) =>
        new(a.Numerator * b.Denominator - b.Numerator * a.Denominator, a.Denominator * b.Denominator);
    public static Rational operator -(Rational a) => new(-a.Numerator, a.Denominator);
    public static Rational operator *(Rational a, Rational b) =>
        new(a.Numerator * b.Numerator, a.Denominator * b.Denominator);
    public static Rational operator /(Rational a, Rational b) =>
        b.IsZero ? throw new DivideByZeroException("division by zero") : new(a.Numerator * b.Denominator, a.Denominator * b.Numerator);

    public static bool operator <(Rational a, Rational b) => (a - b).Sign < 0;
    public static bool operator >(Rational a, Rational b) => (a - b).Sign > 0;

    public Rational Abs() => new(BigInteger.Abs(Numerator), Denominator);

    /// <summary>Integer power; negative exponents invert.</summary>
    public Rational Pow(int exponent)
    {
        if (exponent >= 0) return new(BigInteger.Pow(Numerator, exponent), BigInteger.Pow(Denominator, exponent));
        if (IsZero) throw new DivideByZeroException("zero to a negative power");
        return new(BigInteger.Pow(Denominator, -exponent), BigInteger.Pow(Numerator, -exponent));
    }

    /// <summary>Largest integer not above the value.</summary>
    public BigInteger Floor() => BigInteger.Divide(Numerator - (Numerator.Sign < 0 ? Denominator - 1 : 0), Denominator);

    public double ToDouble()
    {
        // Scale big parts down together so huge numerators and denominators do not overflow to ∞/∞.
        var n = Numerator; var d = Denominator;
        var shift = Math.Max(0, (int)Math.Max(n.GetBitLength(), d.GetBitLength()) - 1000);
        if (shift > 0) { n >>= shift; d >>= shift; if (d.IsZero) return n.Sign * double.PositiveInfinity; }
        return (double)n / (double)d;
    }

    /// <summary>
    /// Parses a plain decimal literal: optional sign, digits with an optional fractional part (".5", "3.", "0.25"),
    /// optional exponent ("5E-01"). Thousands separators must have been removed by the caller.
    /// </summary>
    public static bool TryParseDecimal(string s, out Rational value)
    {
        value = Zero;
        s = s.Trim();
        if (s.Length == 0) return false;
        var i = 0;
        var negative = false;
        if (s[i] is '+' or '-') { negative = s[i] == '-'; i++; }
        var digits = new System.Text.StringBuilder();
        var fraction = 0;
        var seenDigit = false;
        var seenPoint = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (c is >= '0' and <= '9') { digits.Append(c); seenDigit = true; if (seenPoint) fraction++; }
            else if (c == '.' && !seenPoint) seenPoint = true;
            else break;
        }
        if (!seenDigit) return false;
        var exponent = 0;
        if (i < s.Length)
        {
            if (s[i] is not ('e' or 'E')) return false;
            if (!int.TryParse(s.AsSpan(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
            if (Math.Abs(exponent) > 10000) return false;
        }
        var mantissa = BigInteger.Parse(digits.ToString(), CultureInfo.InvariantCulture);
        if (negative) mantissa = -mantissa;
        var scale = exponent - fraction;
        value = scale >= 0
            ? new Rational(mantissa * BigInteger.Pow(10, scale), 1)
            : new Rational(mantissa, BigInteger.Pow(10, -scale));
        return true;
    }

    public override string ToString() =>
        IsInteger ? Numerator.ToString(CultureInfo.InvariantCulture)
                  : $"{Numerator.ToString(CultureInfo.InvariantCulture)}/{Denominator.ToString(CultureInfo.InvariantCulture)}";
}
