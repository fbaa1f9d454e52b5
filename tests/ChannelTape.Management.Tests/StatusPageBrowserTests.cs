using System.Diagnostics;
using ChannelTape.Admin.Lms;
using ChannelTape.Client;
using ChannelTape.Testing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit.Abstractions;

namespace ChannelTape.Management.Tests;

/// <summary>
/// Runs only where Debian's chromium and chromium-driver are installed (<c>scripts/install-prereqs.sh</c>
/// installs them, so <c>./test.sh</c> runs it); elsewhere the test is skipped with the reason.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Browser = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
        {
            Skip = $"Debian's chromium ({Browser}) and chromium-driver ({Driver}) are not installed (scripts/install-prereqs.sh installs them): "
                + "the status page is not tested in a browser here";
        }
    }
}

/// <summary>
/// The status page as a person sees it, in headless Debian chromium driven through chromium-driver: every
/// drive, and a guest's mount within a second of its Load Display. Screenshots (desktop and phone) are saved
/// in <c>TestResults/status-page/</c> (or <c>$CTAPE_TEST_ARTIFACTS</c>).
/// </summary>
public sealed class StatusPageBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ServedLibrary _library = null!;
    private ChromeDriver? _browser;

    public static string ArtifactFolder =>
        Environment.GetEnvironmentVariable("CTAPE_TEST_ARTIFACTS") is { Length: > 0 } given ? given : RepositoryFiles.Path("TestResults/status-page");

    public Task InitializeAsync()
    {
        _library = ServedLibrary.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _browser?.Quit();
        _browser?.Dispose();
        await _library.DisposeAsync();
    }

    [ChromiumFact]
    public void The_page_shows_every_drive_and_a_guest_mount_within_a_second_of_its_load_display()
    {
        var browser = _browser = StartBrowser(1280, 1000);
        browser.Navigate().GoToUrl(_library.Server.ManagementAddress);

        var tiles = WaitFor(browser, b => b.FindElements(By.CssSelector("article.drive")) is { Count: 8 } found ? found : null, TimeSpan.FromSeconds(10));
        Assert.Equal(["0580", "0581", "0582", "0583", "0584", "0585", "0586", "0587"], tiles.Select(t => t.FindElement(By.CssSelector(".device")).Text));
        Assert.All(tiles, t => Assert.Equal("EMPTY", t.FindElement(By.CssSelector(".state")).Text));
        WaitFor(browser, b => b.FindElement(By.Id("live")).Text == "live" ? "" : null, TimeSpan.FromSeconds(10));
        Assert.Contains("SCRATCH", browser.FindElement(By.CssSelector(".pool h3")).Text, StringComparison.Ordinal);

        using var device = RemoteDevice.Connect("127.0.0.1", _library.Server.EndPoint.Port, 0x0583, new RemoteDeviceOptions { Reconnect = false, HostName = "MVS1" });
        using var session = new DriveSession(device);
        var clock = Stopwatch.StartNew();
        session.Mount("T00005", EventRecorder.Patience);
        WaitFor(browser, b => VolumeOn(b, "0583") == "T00005" ? "shown" : null, TimeSpan.FromSeconds(5));
        var shown = clock.Elapsed;

        output.WriteLine($"T00005 appeared on the page {shown.TotalMilliseconds:0} ms after the Load Display");
        Assert.True(shown <= TimeSpan.FromSeconds(1), $"the mount took {shown.TotalMilliseconds:0} ms to appear on the page");
        var tile = browser.FindElement(By.CssSelector("article.drive[data-device='0583']"));
        Assert.Equal("LOADED", tile.FindElement(By.CssSelector(".state")).Text);
        Assert.Equal("MVS1 127.0.0.1", tile.FindElement(By.CssSelector(".host")).Text);
        Assert.Contains(browser.FindElements(By.CssSelector("#events li")), e => e.Text.Contains("drive 0583: T00005 mounted R/W (LoadDisplay", StringComparison.Ordinal));

        Directory.CreateDirectory(ArtifactFolder);
        var desktop = Path.Combine(ArtifactFolder, "status-page.png");
        browser.GetScreenshot().SaveAsFile(desktop);
        output.WriteLine($"screenshot: {desktop}");

        // On a phone: one column, nothing wider than the screen.
        browser.Manage().Window.Size = new System.Drawing.Size(390, 844);
        var overflow = (long)browser.ExecuteScript("return document.documentElement.scrollWidth - window.innerWidth;")!;
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than a 390 px phone screen");
        var phone = Path.Combine(ArtifactFolder, "status-page-phone.png");
        browser.GetScreenshot().SaveAsFile(phone);
        output.WriteLine($"screenshot: {phone}");
    }

    private static string? VolumeOn(IWebDriver browser, string device)
    {
        try
        {
            return browser.FindElement(By.CssSelector($"article.drive[data-device='{device}'] .volume")).Text;
        }
        catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException)
        {
            return null;
        }
    }

    private static T WaitFor<T>(IWebDriver browser, Func<IWebDriver, T?> found, TimeSpan patience)
        where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (found(browser) is { } value)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is NoSuchElementException or StaleElementReferenceException)
            {
                // The page is redrawing; look again.
            }

            if (deadline.Elapsed > patience)
            {
                throw new TimeoutException($"the page did not show what was expected within {patience.TotalSeconds} s:\n{browser.FindElement(By.TagName("body")).Text}");
            }

            Thread.Sleep(20);
        }
    }

    private static ChromeDriver StartBrowser(int width, int height)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromiumFactAttribute.Driver)!, Path.GetFileName(ChromiumFactAttribute.Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumFactAttribute.Browser };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", $"--window-size={width},{height}",
            $"--user-data-dir={Directory.CreateTempSubdirectory("ctape-chromium-").FullName}");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}
