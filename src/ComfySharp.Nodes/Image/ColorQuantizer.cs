namespace ComfySharp.Nodes.Image;

/// <summary>
/// Palette reduction for ImageQuantize: median cut over the distinct 8-bit colours (weighted by how
/// often they occur), then mapping to the nearest palette colour with no dithering, Floyd–Steinberg
/// error diffusion, or an ordered Bayer threshold map.
/// </summary>
public static class ColorQuantizer
{
    /// <summary>Builds a palette of at most <paramref name="colors"/> RGB colours for interleaved RGB bytes.</summary>
    public static byte[][] MedianCut(byte[] rgb, int colors)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        var histogram = new Dictionary<int, long>();
        for (int i = 0; i + 2 < rgb.Length; i += 3)
        {
            int key = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
            histogram[key] = histogram.GetValueOrDefault(key) + 1;
        }
        var boxes = new List<List<KeyValuePair<int, long>>> { histogram.OrderBy(p => p.Key).ToList() };
        while (boxes.Count < colors)
        {
            int index = -1;
            int bestRange = 0;
            long bestCount = 0;
            for (int b = 0; b < boxes.Count; b++)
            {
                if (boxes[b].Count < 2)
                {
                    continue;
                }
                var (_, range) = WidestChannel(boxes[b]);
                long count = boxes[b].Sum(p => p.Value);
                if (range > bestRange || (range == bestRange && count > bestCount))
                {
                    index = b;
                    bestRange = range;
                    bestCount = count;
                }
            }
            if (index < 0)
            {
                break;
            }
            var box = boxes[index];
            var (channel, _) = WidestChannel(box);
            int shift = 16 - (8 * channel);
            box.Sort((p, q) => ((p.Key >> shift) & 0xFF).CompareTo((q.Key >> shift) & 0xFF));
            long total = box.Sum(p => p.Value);
            long running = 0;
            int split = 1;
            for (int i = 0; i < box.Count - 1; i++)
            {
                running += box[i].Value;
                split = i + 1;
                if (running * 2 >= total)
                {
                    break;
                }
            }
            boxes[index] = box.GetRange(0, split);
            boxes.Add(box.GetRange(split, box.Count - split));
        }
        return boxes.Select(Average).ToArray();
    }

    /// <summary>Maps every pixel to its nearest palette colour.</summary>
    public static byte[] MapNearest(byte[] rgb, byte[][] palette)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        byte[] output = new byte[rgb.Length];
        for (int i = 0; i + 2 < rgb.Length; i += 3)
        {
            byte[] colour = palette[Nearest(palette, rgb[i], rgb[i + 1], rgb[i + 2])];
            output[i] = colour[0];
            output[i + 1] = colour[1];
            output[i + 2] = colour[2];
        }
        return output;
    }

    /// <summary>Floyd–Steinberg error diffusion (7/16 right, 3/16 down-left, 5/16 down, 1/16 down-right).</summary>
    public static byte[] MapFloydSteinberg(byte[] rgb, int width, int height, byte[][] palette)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        float[] work = rgb.Select(v => (float)v).ToArray();
        byte[] output = new byte[rgb.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = ((y * width) + x) * 3;
                int r = Clamp(work[p]), g = Clamp(work[p + 1]), b = Clamp(work[p + 2]);
                byte[] colour = palette[Nearest(palette, r, g, b)];
                for (int ch = 0; ch < 3; ch++)
                {
                    output[p + ch] = colour[ch];
                    float error = Clamp(work[p + ch]) - colour[ch];
                    Spread(work, width, height, x + 1, y, ch, error * 7 / 16);
                    Spread(work, width, height, x - 1, y + 1, ch, error * 3 / 16);
                    Spread(work, width, height, x, y + 1, ch, error * 5 / 16);
                    Spread(work, width, height, x + 1, y + 1, ch, error / 16);
                }
            }
        }
        return output;
    }

    /// <summary>
    /// Ordered dithering: adds (2·256 / palette size) × the normalised Bayer matrix of the given order,
    /// plus 0.5, to each pixel (clamped, truncated to 8 bits), then maps to the nearest colour.
    /// </summary>
    public static byte[] MapBayer(byte[] rgb, int width, int height, byte[][] palette, int order)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(palette);
        double[,] matrix = NormalisedBayer((int)Math.Log2(order));
        double spread = 2.0 * 256 / palette.Length;
        byte[] shifted = new byte[rgb.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float offset = (float)((spread * matrix[y % order, x % order]) + 0.5);
                for (int ch = 0; ch < 3; ch++)
                {
                    int p = (((y * width) + x) * 3) + ch;
                    shifted[p] = (byte)Math.Clamp(rgb[p] + offset, 0f, 255f);
                }
            }
        }
        return MapNearest(shifted, palette);
    }

    /// <summary>The Bayer threshold matrix of size 2^n, values centred on 0 in (−0.5, 0.5).</summary>
    public static double[,] NormalisedBayer(int n)
    {
        if (n == 0)
        {
            return new double[1, 1];
        }
        double[,] previous = NormalisedBayer(n - 1);
        int size = previous.GetLength(0);
        double q = Math.Pow(4, n);
        var result = new double[size * 2, size * 2];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double m = q * previous[y, x];
                result[y, x] = (m - 1.5) / q;
                result[y, x + size] = (m + 0.5) / q;
                result[y + size, x] = (m + 1.5) / q;
                result[y + size, x + size] = (m - 0.5) / q;
            }
        }
        return result;
    }

    private static void Spread(float[] work, int width, int height, int x, int y, int channel, float amount)
    {
        if (x >= 0 && x < width && y < height)
        {
            work[(((y * width) + x) * 3) + channel] += amount;
        }
    }

    private static int Clamp(float value) => (int)Math.Clamp(MathF.Round(value), 0f, 255f);

    private static int Nearest(byte[][] palette, int r, int g, int b)
    {
        int best = 0;
        int bestDistance = int.MaxValue;
        for (int i = 0; i < palette.Length; i++)
        {
            int dr = palette[i][0] - r, dg = palette[i][1] - g, db = palette[i][2] - b;
            int distance = (dr * dr) + (dg * dg) + (db * db);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = i;
            }
        }
        return best;
    }

    private static (int Channel, int Range) WidestChannel(List<KeyValuePair<int, long>> box)
    {
        int bestChannel = 0, bestRange = -1;
        for (int channel = 0; channel < 3; channel++)
        {
            int shift = 16 - (8 * channel);
            int min = 255, max = 0;
            foreach (var p in box)
            {
                int v = (p.Key >> shift) & 0xFF;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            if (max - min > bestRange)
            {
                bestRange = max - min;
                bestChannel = channel;
            }
        }
        return (bestChannel, bestRange);
    }

    private static byte[] Average(List<KeyValuePair<int, long>> box)
    {
        double r = 0, g = 0, b = 0, n = 0;
        foreach (var p in box)
        {
            r += ((p.Key >> 16) & 0xFF) * (double)p.Value;
            g += ((p.Key >> 8) & 0xFF) * (double)p.Value;
            b += (p.Key & 0xFF) * (double)p.Value;
            n += p.Value;
        }
        return [(byte)Math.Round(r / n), (byte)Math.Round(g / n), (byte)Math.Round(b / n)];
    }
}
