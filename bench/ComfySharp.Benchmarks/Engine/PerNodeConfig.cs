using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ComfySharp.Benchmarks.Engine;

/// <summary>Adds a "Per node" column: the mean time divided by the benchmark's <c>Nodes</c> parameter.</summary>
public sealed class PerNodeConfig : ManualConfig
{
    /// <summary>Registers the column.</summary>
    public PerNodeConfig() => AddColumn(new PerNodeColumn());

    private sealed class PerNodeColumn : IColumn
    {
        public string Id => "PerNode";
        public string ColumnName => "Per node";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Statistics;
        public int PriorityInCategory => 10;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Time;
        public string Legend => "Mean time divided by the number of nodes in the graph";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            object? nodes = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Nodes")?.Value;
            if (report?.ResultStatistics is not { } stats || nodes is not int count || count <= 0)
            {
                return "-";
            }
            double nanoseconds = stats.Mean / count;
            return nanoseconds >= 1000
                ? (nanoseconds / 1000).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " μs"
                : nanoseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture) + " ns";
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
