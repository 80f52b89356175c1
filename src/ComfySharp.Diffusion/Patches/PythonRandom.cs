namespace ComfySharp.Diffusion.Patches;

/// <summary>
/// Python's <c>random</c> module generator (MT19937 seeded by <c>init_by_array</c> over the seed's
/// 32-bit words), for patches whose reference draws with <c>random.seed(n)</c> and <c>random.randint</c>.
/// </summary>
public sealed class PythonRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _state = new uint[N];
    private int _index = N + 1;

    /// <summary>Seeds like <c>random.seed(seed)</c> for a non-negative integer.</summary>
    public PythonRandom(ulong seed)
    {
        uint low = (uint)seed, high = (uint)(seed >> 32);
        uint[] key = high == 0 ? [low] : [low, high];
        InitByArray(key);
    }

    /// <summary><c>random.randint(a, b)</c>: an integer in [a, b].</summary>
    public long RandInt(long a, long b)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(a, b);
        return a + RandBelow(b - a + 1);
    }

    /// <summary><c>random.random()</c>: a double in [0, 1) from 53 random bits.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    private long RandBelow(long n)
    {
        int bits = 64 - (int)ulong.LeadingZeroCount((ulong)n);
        while (true)
        {
            ulong r = GetRandBits(bits);
            if (r < (ulong)n)
            {
                return (long)r;
            }
        }
    }

    private ulong GetRandBits(int bits)
    {
        if (bits <= 32)
        {
            return NextUInt32() >> (32 - bits);
        }
        ulong low = NextUInt32();
        ulong high = NextUInt32() >> (64 - bits);
        return (high << 32) | low;
    }

    private void InitGenrand(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < N; i++)
        {
            _state[i] = unchecked((1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30))) + (uint)i);
        }
        _index = N;
    }

    private void InitByArray(uint[] key)
    {
        InitGenrand(19650218u);
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Length); k > 0; k--)
        {
            _state[i] = unchecked((_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j);
            i++;
            j++;
            if (i >= N)
            {
                _state[0] = _state[N - 1];
                i = 1;
            }
            if (j >= key.Length)
            {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--)
        {
            _state[i] = unchecked((_state[i] ^ ((_state[i - 1] ^ (_state[i - 1] >> 30)) * 1566083941u)) - (uint)i);
            i++;
            if (i >= N)
            {
                _state[0] = _state[N - 1];
                i = 1;
            }
        }
        _state[0] = 0x80000000u;
        _index = N;
    }

    private uint NextUInt32()
    {
        if (_index >= N)
        {
            for (int k = 0; k < N; k++)
            {
                uint y = (_state[k] & 0x80000000u) | (_state[(k + 1) % N] & 0x7fffffffu);
                _state[k] = _state[(k + M) % N] ^ (y >> 1) ^ ((y & 1u) != 0 ? 0x9908b0dfu : 0u);
            }
            _index = 0;
        }
        uint x = _state[_index++];
        x ^= x >> 11;
        x ^= (x << 7) & 0x9d2c5680u;
        x ^= (x << 15) & 0xefc60000u;
        x ^= x >> 18;
        return x;
    }
}
