using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using ComfySharp.Engine.Graph;
using ComfySharp.Engine.Python;

namespace ComfySharp.Engine.Validation;

/// <summary>Widget value coercion with Python semantics (EXECUTION.md §4).</summary>
public static class Coercion
{
    /// <summary>
    /// Converts <paramref name="value"/> (a runtime value from <see cref="JsonValues.ToClr"/>) for a declared type.
    /// Returns false with Python's exception text when the conversion fails; types other than
    /// INT/FLOAT/STRING/BOOLEAN are returned unchanged.
    /// </summary>
    public static bool TryCoerce(string declaredType, object? value, out object? coerced, out string error)
    {
        error = "";
        coerced = value;
        switch (declaredType)
        {
            case "INT": return TryInt(value, out coerced, out error);
            case "FLOAT": return TryFloat(value, out coerced, out error);
            case "STRING": coerced = Py.Str(value); return true;
            case "BOOLEAN": coerced = Truthy(value); return true;
            default: return true;
        }
    }

    /// <summary>
    /// Longest integer text converted, in digits: Python's own limit (<c>sys.get_int_max_str_digits()</c>),
    /// which also keeps the conversion, quadratic in the length, cheap.
    /// </summary>
    public const int MaxIntegerDigits = 4300;

    /// <summary>
    /// Why a FLOAT widget refuses NaN and infinities, which the reference accepts: JSON cannot carry
    /// them, so a prompt holding one could be stored but not read back from the history or the queue.
    /// </summary>
    public const string NonFiniteFloatError = "float value must be finite (nan and inf cannot be stored as JSON)";

    private static int CountDigits(string s) => s.Count(char.IsAsciiDigit);

    /// <summary>Python truthiness.</summary>
    public static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        int i => i != 0,
        ulong u => u != 0,
        BigInteger b => !b.IsZero,
        double d => d != 0,
        float f => f != 0,
        string s => s.Length != 0,
        JsonObject o => o.Count != 0,
        JsonArray a => a.Count != 0,
        System.Collections.ICollection c => c.Count != 0,
        _ => true,
    };

    private static bool TryInt(object? value, out object? coerced, out string error)
    {
        error = "";
        coerced = null;
        switch (value)
        {
            case bool b: coerced = b ? BigInteger.One : BigInteger.Zero; return true;
            case long l: coerced = new BigInteger(l); return true;
            case ulong u: coerced = new BigInteger(u); return true;
            case BigInteger big: coerced = big; return true;
            case double d:
                if (double.IsNaN(d)) { error = "cannot convert float NaN to integer"; return false; }
                if (double.IsInfinity(d)) { error = "cannot convert float infinity to integer"; return false; }
                coerced = new BigInteger(Math.Truncate(d));
                return true;
            case string s when CountDigits(s) > MaxIntegerDigits:
                error = $"Exceeds the limit ({MaxIntegerDigits} digits) for integer string conversion: value has {CountDigits(s)} digits";
                return false;
            case string s:
                if (TryParsePythonInt(s, out BigInteger parsed)) { coerced = parsed; return true; }
                error = "invalid literal for int() with base 10: " + Py.StringRepr(s);
                return false;
            default:
                error = "int() argument must be a string, a bytes-like object or a real number, not '" + Py.TypeName(value) + "'";
                return false;
        }
    }

    private static bool TryFloat(object? value, out object? coerced, out string error)
    {
        error = "";
        coerced = null;
        switch (value)
        {
            case bool b: coerced = b ? 1.0 : 0.0; return true;
            case long l: coerced = (double)l; return true;
            case ulong u: coerced = (double)u; return true;
            case BigInteger big when !double.IsFinite((double)big):
                error = "int too large to convert to float";
                return false;
            case BigInteger big: coerced = (double)big; return true;
            case double d when !double.IsFinite(d):
                error = NonFiniteFloatError;
                return false;
            case double d: coerced = d; return true;
            case string s:
                if (TryParsePythonFloat(s, out double parsed))
                {
                    if (!double.IsFinite(parsed)) { error = NonFiniteFloatError; return false; }
                    coerced = parsed;
                    return true;
                }
                error = "could not convert string to float: " + Py.StringRepr(s);
                return false;
            default:
                error = "float() argument must be a string or a real number, not '" + Py.TypeName(value) + "'";
                return false;
        }
    }

    /// <summary>Python's <c>int(str)</c>: optional sign, digits with single underscores between them, surrounding whitespace.</summary>
    public static bool TryParsePythonInt(string text, out BigInteger value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = BigInteger.Zero;
        string s = text.Trim();
        if (s.Length == 0) { return false; }
        int start = s[0] is '+' or '-' ? 1 : 0;
        if (start == s.Length) { return false; }
        var digits = new System.Text.StringBuilder();
        for (int i = start; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsAsciiDigit(c)) { digits.Append(c); continue; }
            if (c == '_' && i > start && i + 1 < s.Length && char.IsAsciiDigit(s[i - 1]) && char.IsAsciiDigit(s[i + 1])) { continue; }
            return false;
        }
        value = BigInteger.Parse(digits.ToString(), CultureInfo.InvariantCulture);
        if (s[0] == '-') { value = -value; }
        return true;
    }

    /// <summary>Python's <c>float(str)</c>, including <c>nan</c>, <c>inf</c>, <c>infinity</c> and digit underscores.</summary>
    public static bool TryParsePythonFloat(string text, out double value)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = 0;
        string s = text.Trim();
        if (s.Length == 0) { return false; }
        string sign = s[0] is '+' or '-' ? s[..1] : "";
        string body = s[sign.Length..].ToLowerInvariant();
        if (body is "nan") { value = double.NaN; return true; }
        if (body is "inf" or "infinity") { value = sign == "-" ? double.NegativeInfinity : double.PositiveInfinity; return true; }
        var cleaned = new System.Text.StringBuilder();
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '_')
            {
                if (i > 0 && i + 1 < body.Length && char.IsAsciiDigit(body[i - 1]) && char.IsAsciiDigit(body[i + 1])) { continue; }
                return false;
            }
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or '+' or '-')) { return false; }
            cleaned.Append(c);
        }
        if (!cleaned.ToString().Any(char.IsAsciiDigit)) { return false; }
        if (!double.TryParse(sign + cleaned, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) { return false; }
        return true;
    }

    /// <summary>Python's loose <c>==</c> between a value and a combo option (<c>1 == 1.0 == True</c>).</summary>
    public static bool LooseEquals(object? a, object? b)
    {
        if (a is null || b is null) { return a is null && b is null; }
        if (a is string sa) { return b is string sb && sa == sb; }
        if (b is string) { return false; }
        if (TryNumber(a, out double da) && TryNumber(b, out double db)) { return da == db; }
        return Equals(a, b);
    }

    /// <summary>A numeric runtime value as a double (bools count as 0/1).</summary>
    public static bool TryNumber(object? value, out double number)
    {
        switch (value)
        {
            case bool b: number = b ? 1 : 0; return true;
            case long l: number = l; return true;
            case ulong u: number = u; return true;
            case BigInteger big: number = (double)big; return true;
            case double d: number = d; return true;
            case int i: number = i; return true;
            default: number = 0; return false;
        }
    }

    /// <summary>Compares two numbers exactly when both are integers; null when either is not a number.</summary>
    public static int? Compare(object? a, object? b)
    {
        if (IsInteger(a) && IsInteger(b)) { return ToBig(a).CompareTo(ToBig(b)); }
        if (TryNumber(a, out double da) && TryNumber(b, out double db))
        {
            if (double.IsNaN(da) || double.IsNaN(db)) { return 0; }
            return da.CompareTo(db);
        }
        return null;
    }

    private static bool IsInteger(object? v) => v is long or ulong or BigInteger or int or bool;

    private static BigInteger ToBig(object? v) => v switch
    {
        long l => l,
        ulong u => u,
        BigInteger b => b,
        int i => i,
        bool b => b ? 1 : 0,
        _ => 0,
    };
}
