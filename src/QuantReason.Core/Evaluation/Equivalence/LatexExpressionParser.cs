using System.Numerics;

namespace QuantReason.Evaluation.Equivalence;

/// <summary>The exact value of a LaTeX expression and whether a decimal literal went into it (an approximation).</summary>
public sealed record ParsedExpression(SymbolicValue Value, bool HasDecimal);

/// <summary>
/// Recursive-descent evaluator of LaTeX arithmetic into <see cref="SymbolicValue"/>s:
/// + − × ÷ · / ^ ! with implicit multiplication (2\sqrt{3}, 3\pi, 2x), \frac, \sqrt[n]{}, \binom, \pi, e, i, \infty,
/// |x|, floor/ceiling, repeating decimals 0.\overline{3}, mixed numbers 1\frac45, and functions (\sin, \ln, …) as atoms.
/// LaTeX's one-token arguments are honoured: \frac12 is 1/2 and x^23 is x²·3. Anything else throws
/// <see cref="NotRepresentableException"/> so the caller never mistakes a partial parse for a value.
/// </summary>
internal sealed class LatexExpressionParser
{
    static readonly HashSet<string> Functions =
    [
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "ln", "log", "exp", "det", "gcd", "lcm", "max", "min",
    ];

    static readonly HashSet<string> Greek =
    [
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "kappa", "lambda",
        "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
    ];

    readonly List<LatexToken> _t;
    readonly HashSet<string> _bound = []; // index variables of the series being parsed: i there is an index, not √−1
    int _p;
    bool _hasDecimal;

    LatexExpressionParser(List<LatexToken> tokens) => _t = tokens;

    public static ParsedExpression Parse(string latex)
    {
        var parser = new LatexExpressionParser(LatexLexer.Tokenize(latex));
        if (parser._t.Count == 0) throw new NotRepresentableException("empty expression");
        var v = parser.Expression();
        if (parser._p != parser._t.Count) throw new NotRepresentableException($"unexpected '{parser._t[parser._p]}'");
        return new ParsedExpression(v, parser._hasDecimal);
    }

    public static bool TryParse(string latex, out ParsedExpression? result)
    {
        try { result = Parse(latex); return true; }
        catch (Exception e) when (e is NotRepresentableException or DivideByZeroException or OverflowException)
        {
            result = null; return false;
        }
    }

    LatexToken? Peek => _p < _t.Count ? _t[_p] : null;
    LatexToken Next() => _p < _t.Count ? _t[_p++] : throw new NotRepresentableException("unexpected end");
    bool AcceptSymbol(char c) { if (Peek?.IsSymbol(c) == true) { _p++; return true; } return false; }
    bool AcceptCommand(string name) { if (Peek?.IsCommand(name) == true) { _p++; return true; } return false; }
    void ExpectSymbol(char c) { if (!AcceptSymbol(c)) throw new NotRepresentableException($"expected '{c}'"); }
    void ExpectCommand(string name) { if (!AcceptCommand(name)) throw new NotRepresentableException($"expected \\{name}"); }

    SymbolicValue Expression()
    {
        var v = Term();
        while (true)
        {
            if (AcceptSymbol('+')) v += Term();
            else if (AcceptSymbol('-')) v -= Term();
            else return v;
        }
    }

    SymbolicValue Term()
    {
        var start = _p;
        var v = Unary();
        // A term that so far is a lone integer literal followed by \frac of two integers is a mixed number.
        var loneInteger = IsSignedIntegerLiteral(start, _p);
        while (Peek is { } t)
        {
            if (t.IsSymbol('*') || t.IsCommand("cdot") || t.IsCommand("times")) { _p++; v *= Unary(); }
            else if (t.IsSymbol('/') || t.IsCommand("div")) { _p++; v /= Unary(); }
            else if (StartsFactor(t))
            {
                if (loneInteger && t.IsCommand("frac") && TryMixedFraction() is { } frac)
                    v = v.AsRational!.Value.Sign < 0 || _t[start].IsSymbol('-') ? v - frac : v + frac;
                else v *= Power();
            }
            else break;
            loneInteger = false;
        }
        return v;
    }

    bool IsSignedIntegerLiteral(int from, int to)
    {
        if (from < to && _t[from].IsSymbol('-')) from++;
        return to == from + 1 && _t[from].Kind == LatexTokenKind.Number && _t[from].Text.All(char.IsAsciiDigit);
    }

    /// <summary>At \frac: consumes \frac{a}{b} when a and b are integer literals, otherwise leaves the position.</summary>
    SymbolicValue? TryMixedFraction()
    {
        var save = _p;
        _p++;
        if (IntegerArgument() is { } a && IntegerArgument() is { } b && !b.IsZero)
            return SymbolicValue.Of(new Rational(a, b));
        _p = save;
        return null;
    }

    BigInteger? IntegerArgument()
    {
        if (Peek is { Kind: LatexTokenKind.Number } n && n.Text.All(char.IsAsciiDigit))
        {
            SplitFirstCharacter();
            return BigInteger.Parse(Next().Text);
        }
        if (Peek?.IsSymbol('{') == true && _p + 2 < _t.Count && _t[_p + 1].Kind == LatexTokenKind.Number
            && _t[_p + 1].Text.All(char.IsAsciiDigit) && _t[_p + 2].IsSymbol('}'))
        {
            var value = BigInteger.Parse(_t[_p + 1].Text);
            _p += 3;
            return value;
        }
        return null;
    }

    static bool StartsFactor(LatexToken t) => t.Kind switch
    {
        LatexTokenKind.Number or LatexTokenKind.Letter => true,
        LatexTokenKind.Symbol => t.Text is "(" or "{" or "[",
        LatexTokenKind.Command => t.Text is "frac" or "sqrt" or "pi" or "infty" or "binom" or "lfloor" or "lceil"
                                  or "operatorname" or "sum" or "prod" || Functions.Contains(t.Text) || Greek.Contains(t.Text),
        _ => false,
    };

    SymbolicValue Unary()
    {
        if (AcceptSymbol('-')) return -Unary();
        if (AcceptSymbol('+')) return Unary();
        return Power();
    }

    SymbolicValue Power()
    {
        var b = Postfix();
        if (AcceptSymbol('^')) return b.Pow(ScriptArgument());
        return b;
    }

    SymbolicValue Postfix()
    {
        var v = Primary();
        while (AcceptSymbol('!'))
        {
            if (v.AsRational is not { IsInteger: true } n || n.Sign < 0 || n.Numerator > 3000)
                throw new NotRepresentableException("factorial of a non-integer");
            var f = BigInteger.One;
            for (var k = 2; k <= (int)n.Numerator; k++) f *= k;
            v = SymbolicValue.Of(new Rational(f, 1));
        }
        return v;
    }

    SymbolicValue Primary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case LatexTokenKind.Number: return Number(t.Text);
            case LatexTokenKind.Letter: return Letter(t.Text);
            case LatexTokenKind.Symbol:
                switch (t.Text)
                {
                    case "(": { var v = Expression(); ExpectSymbol(')'); return v; }
                    case "[": { var v = Expression(); ExpectSymbol(']'); return v; }
                    case "{": { var v = Expression(); ExpectSymbol('}'); return v; }
                    case "|": { var v = Expression(); ExpectSymbol('|'); return Abs(v); }
                }
                break;
            case LatexTokenKind.Command:
                return Command(t.Text);
        }
        throw new NotRepresentableException($"unexpected '{t}'");
    }

    SymbolicValue Number(string text)
    {
        if (text.EndsWith('.') && AcceptCommand("overline")) return Repeating(text[..^1], "");
        if (text.Contains('.') && Peek?.IsCommand("overline") == true)
        {
            _p++;
            var point = text.IndexOf('.');
            return Repeating(text[..point], text[(point + 1)..]);
        }
        if (!Rational.TryParseDecimal(text, out var r)) throw new NotRepresentableException($"bad number '{text}'");
        if (text.Contains('.') || text.Contains('e') || text.Contains('E')) _hasDecimal = true;
        return SymbolicValue.Of(r);
    }

    /// <summary>whole.fixed(repeat…) exactly: 0.1\overline{6} = 1/6.</summary>
    SymbolicValue Repeating(string whole, string fixedDigits)
    {
        var repeat = RawGroup();
        if (repeat.Length == 0 || !repeat.All(char.IsAsciiDigit)) throw new NotRepresentableException("bad repeating digits");
        var w = whole.Length == 0 ? BigInteger.Zero : BigInteger.Parse(whole);
        var f = fixedDigits.Length == 0 ? BigInteger.Zero : BigInteger.Parse(fixedDigits);
        var scale = BigInteger.Pow(10, fixedDigits.Length);
        var period = BigInteger.Pow(10, repeat.Length) - 1;
        var value = new Rational(w, 1) + new Rational(f, scale) + new Rational(BigInteger.Parse(repeat), scale * period);
        return SymbolicValue.Of(value);
    }

    SymbolicValue Letter(string name)
    {
        var atom = _bound.Contains(name) ? null : name switch { "i" => Atom.I, "e" => Atom.E, _ => null };
        if (Peek?.IsSymbol('_') == true)
        {
            _p++;
            return SymbolicValue.Of(Atom.Variable($"{name}_{RawGroupOrToken()}"));
        }
        return SymbolicValue.Of(atom ?? Atom.Variable(name));
    }

    SymbolicValue Command(string name)
    {
        switch (name)
        {
            case "frac":
            {
                var a = Argument();
                var b = Argument();
                return a / b;
            }
            case "sqrt":
            {
                var degree = SymbolicValue.Of(2);
                if (AcceptSymbol('[')) { degree = Expression(); ExpectSymbol(']'); }
                var radicand = Argument();
                return radicand.Pow(SymbolicValue.Of(Rational.One) / degree);
            }
            case "pi": return SymbolicValue.Of(Atom.Pi);
            case "infty": return SymbolicValue.Of(Atom.Infinity);
            case "binom":
            {
                var n = Argument().AsRational;
                var k = Argument().AsRational;
                if (n is not { IsInteger: true } nn || k is not { IsInteger: true } kk || nn.Sign < 0 || nn.Numerator > 10000)
                    throw new NotRepresentableException("binomial of non-integers");
                return SymbolicValue.Of(new Rational(Binomial((int)nn.Numerator, (int)kk.Numerator), 1));
            }
            case "lfloor": { var v = Expression(); ExpectCommand("rfloor"); return Rounded(v, "floor", r => r.Floor()); }
            case "lceil": { var v = Expression(); ExpectCommand("rceil"); return Rounded(v, "ceil", r => -(-r).Floor()); }
            case "operatorname": return Function(RawGroup());
            case "sum": return Series(product: false);
            case "prod": return Series(product: true);
        }
        if (Greek.Contains(name)) return SymbolicValue.Of(Atom.Variable("\\" + name));
        if (Functions.Contains(name)) return Function(name);
        throw new NotRepresentableException($"unsupported command \\{name}");
    }

    /// <summary>Most terms a \sum or \prod is evaluated over; a longer one has no numeric value (the grader then decides exactly or not at all).</summary>
    const int MaxSeriesTerms = 5_000;
    /// <summary>Most body evaluations of one outermost series, nested series included (\sum\sum of 10⁴ × 10⁴ would be 10⁸).</summary>
    const long MaxSeriesWork = 10_000;
    [ThreadStatic] static int _seriesDepth;
    [ThreadStatic] static long _seriesWorkLeft;

    /// <summary>
    /// \sum_{k=a}^{b} body and \prod likewise, the body being the following product term. The value is an opaque atom whose
    /// key names the bound variable, so renamed or reordered sums are told equal only by evaluation at the same points.
    /// </summary>
    SymbolicValue Series(bool product)
    {
        ExpectSymbol('_');
        ExpectSymbol('{');
        var index = Next();
        if (index.Kind != LatexTokenKind.Letter) throw new NotRepresentableException("series without an index variable");
        ExpectSymbol('=');
        var from = Expression();
        ExpectSymbol('}');
        ExpectSymbol('^');
        var to = ScriptArgument();
        var k = index.Text;
        var shadowed = !_bound.Add(k);
        var body = Term();
        if (!shadowed) _bound.Remove(k);
        var free = new HashSet<string>(body.FreeVariables);
        free.Remove(k);
        free.UnionWith(from.FreeVariables);
        free.UnionWith(to.FreeVariables);
        Complex? At(IReadOnlyDictionary<string, Complex> env)
        {
            if (from.Evaluate(env) is not { } a || to.Evaluate(env) is not { } b) return null;
            if (a.Imaginary != 0 || b.Imaginary != 0 || Math.Abs(a.Real - Math.Round(a.Real)) > 1e-9 || Math.Abs(b.Real - Math.Round(b.Real)) > 1e-9)
                return null;
            var (lo, hi) = (Math.Round(a.Real), Math.Round(b.Real));
            if (hi - lo >= MaxSeriesTerms) return null;
            var inner = new Dictionary<string, Complex>(env);
            Complex acc = product ? Complex.One : Complex.Zero;
            if (_seriesDepth++ == 0) _seriesWorkLeft = MaxSeriesWork;
            try
            {
                for (var i = lo; i <= hi; i++)
                {
                    if (--_seriesWorkLeft < 0) return null;
                    inner[k] = i;
                    if (body.Evaluate(inner) is not { } term) return null;
                    acc = product ? acc * term : acc + term;
                }
                return acc;
            }
            finally { _seriesDepth--; }
        }
        var key = $"{(product ? "prod" : "sum")}({k}={from};{to};{body})";
        return SymbolicValue.Of(Atom.Opaque(key, free.Count == 0 ? At(new Dictionary<string, Complex>()) : null, free, At));
    }

    static BigInteger Binomial(int n, int k)
    {
        if (k < 0 || k > n) return BigInteger.Zero;
        var r = BigInteger.One;
        for (var j = 1; j <= k; j++) r = r * (n - k + j) / j;
        return r;
    }

    static SymbolicValue Abs(SymbolicValue v)
    {
        if (v.AsRational is { } r) return SymbolicValue.Of(r.Abs());
        if (v.Evaluate() is { } c && c.Imaginary == 0)
        {
            // A real numeric value: |v| is ±v exactly, the sign read from its numeric value.
            return c.Real < 0 ? -v : v;
        }
        return SymbolicValue.Of(Atom.Opaque($"abs({v})", v.Evaluate() is { } z ? Complex.Abs(z) : null, v.FreeVariables,
            env => v.Evaluate(env) is { } x ? Complex.Abs(x) : null));
    }

    static SymbolicValue Rounded(SymbolicValue v, string name, Func<Rational, BigInteger> f)
    {
        if (v.AsRational is { } r) return SymbolicValue.Of(new Rational(f(r), 1));
        var numeric = v.Evaluate() is { } c && c.Imaginary == 0
            ? (Complex?)(name == "floor" ? Math.Floor(c.Real) : Math.Ceiling(c.Real)) : null;
        if (numeric is { } n && Math.Abs(n.Real) < 1e15) return SymbolicValue.Of(new Rational(new BigInteger(n.Real), 1));
        return SymbolicValue.Of(Atom.Opaque($"{name}({v})", numeric, v.FreeVariables, env =>
            v.Evaluate(env) is { Imaginary: 0 } x ? (name == "floor" ? Math.Floor(x.Real) : Math.Ceiling(x.Real)) : null));
    }

    /// <summary>\sin x, \sin(2x), \sin^2 x, \log_2 8: an opaque atom keyed by the canonical argument, with its numeric value.</summary>
    SymbolicValue Function(string name)
    {
        SymbolicValue? power = null;
        SymbolicValue? logBase = null;
        if (AcceptSymbol('_')) logBase = ScriptArgument();
        if (AcceptSymbol('^')) power = ScriptArgument();
        SymbolicValue arg;
        if (Peek is { } t && (t.IsSymbol('(') || t.IsSymbol('{') || t.IsSymbol('[')))
            arg = Primary();
        else
        {
            // \sin 2x means sin(2x): the argument runs over the following numbers and letters.
            arg = Power();
            while (Peek is { Kind: LatexTokenKind.Number or LatexTokenKind.Letter }) arg *= Power();
        }
        var value = name == "exp" ? SymbolicValue.Of(Atom.E).Pow(arg) : Apply(name, arg, logBase);
        return power is null ? value : value.Pow(power);
    }

    static SymbolicValue Apply(string name, SymbolicValue arg, SymbolicValue? logBase)
    {
        if (name == "ln" && arg.ExactlyEquals(SymbolicValue.Of(Atom.E))) return SymbolicValue.Of(1);
        var key = logBase is null ? $"\\{name}({arg})" : $"\\{name}_({logBase})({arg})";
        var free = logBase is null ? arg.FreeVariables : SymbolicValue.Union(arg.FreeVariables, logBase.FreeVariables);
        return SymbolicValue.Of(Atom.Opaque(key, Numeric(name, arg.Evaluate(), logBase?.Evaluate()), free,
            env => Numeric(name, arg.Evaluate(env), logBase?.Evaluate(env))));
    }

    static Complex? Numeric(string name, Complex? x, Complex? b) =>
        x is not { } z ? null : name switch
        {
            "sin" => Complex.Sin(z), "cos" => Complex.Cos(z), "tan" => Complex.Tan(z),
            "cot" => 1 / Complex.Tan(z), "sec" => 1 / Complex.Cos(z), "csc" => 1 / Complex.Sin(z),
            "arcsin" => Complex.Asin(z), "arccos" => Complex.Acos(z), "arctan" => Complex.Atan(z),
            "sinh" => Complex.Sinh(z), "cosh" => Complex.Cosh(z), "tanh" => Complex.Tanh(z),
            "ln" => Complex.Log(z),
            "log" => b is { } bb ? Complex.Log(z) / Complex.Log(bb) : Complex.Log10(z),
            _ => null,
        };

    /// <summary>A \frac or \sqrt argument: a braced group, or LaTeX's single token (one digit of a number).</summary>
    SymbolicValue Argument()
    {
        var t = Peek ?? throw new NotRepresentableException("missing argument");
        if (t.IsSymbol('{')) { _p++; var v = Expression(); ExpectSymbol('}'); return v; }
        if (t.Kind == LatexTokenKind.Number) { SplitFirstCharacter(); return Number(Next().Text); }
        if (t.Kind == LatexTokenKind.Letter) { _p++; return Letter(t.Text); }
        if (t.Kind == LatexTokenKind.Command) return Primary();
        throw new NotRepresentableException($"bad argument '{t}'");
    }

    /// <summary>A superscript: like <see cref="Argument"/>, plus a leading sign (x^-1) as models often write.</summary>
    SymbolicValue ScriptArgument()
    {
        if (AcceptSymbol('-')) return -ScriptArgument();
        if (AcceptSymbol('+')) return ScriptArgument();
        return Argument();
    }

    /// <summary>Makes the current number token its first character, pushing the rest back as a separate token.</summary>
    void SplitFirstCharacter()
    {
        var t = _t[_p];
        if (t.Text.Length <= 1) return;
        _t[_p] = t with { Text = t.Text[..1] };
        _t.Insert(_p + 1, t with { Text = t.Text[1..] });
    }

    /// <summary>The raw text of a braced group (for \overline digits and \operatorname names).</summary>
    string RawGroup()
    {
        ExpectSymbol('{');
        var sb = new System.Text.StringBuilder();
        var depth = 1;
        while (true)
        {
            var t = Next();
            if (t.IsSymbol('{')) depth++;
            else if (t.IsSymbol('}') && --depth == 0) return sb.ToString();
            sb.Append(t);
        }
    }

    string RawGroupOrToken() => Peek?.IsSymbol('{') == true ? RawGroup() : Next().ToString();
}
