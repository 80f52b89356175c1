using System.CommandLine;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp jobs</c>: List jobs (/api/jobs).</summary>
internal static class JobsCommand
{
    public static Command Create(CliOutput output)
    {
        var status = new Option<string?>("--status") { Description = "pending, in_progress, completed, failed (comma-separated)" };
        var limit = new Option<int?>("--limit") { Description = "Maximum jobs" };
        var command = new Command("jobs", "List jobs (/api/jobs)") { status, limit };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            JobsPage page = await client.GetJobsAsync(new JobsQuery { Status = parse.GetValue(status)?.Split(','), Limit = parse.GetValue(limit) }, ct).ConfigureAwait(false);
            foreach (ComfyJob job in page.Jobs)
            {
                output.Line($"{job.Id}  {job.Status,-11}  {job.OutputsCount} output(s)");
            }
            output.Line($"{page.Jobs.Count} of {page.Total}");
            return 0;
        }));
        return command;
    }
}
