using Xunit;

namespace ComfySharp.Client.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Shared_folder_is_beside_the_checkout() =>
        Assert.True(Directory.Exists(ComfySharp.TestKit.TestPaths.Shared), ComfySharp.TestKit.TestPaths.Shared);
}
