using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ExeSys.Tests.Docs;

/// <summary>
/// The README's in-page links (<c>[text](#anchor)</c>) point at headings that exist, under the anchors GitHub gives
/// them. A section renamed or dropped breaks every link to it silently on GitHub; here it fails a test that names
/// each broken link.
/// </summary>
[TestFixture]
public sealed partial class Reading_the_readme
{
    [TestCase("README.md")]
    [TestCase("bench/README.md")]
    public void Every_in_page_link_points_at_a_heading_that_exists(string file)
    {
        var path = Path.Combine(RepositoryRoot(), file);
        var page = Markdown.Read(File.ReadAllLines(path));
        var anchors = page.Anchors.ToHashSet(StringComparer.Ordinal);
        var broken = page.Links.Where(link => !anchors.Contains(link.Anchor)).ToList();

        Assert.That(broken, Is.Empty,
            $"{file} links to anchors that no heading has:{Environment.NewLine}" +
            string.Join(Environment.NewLine, broken.Select(b => $"  line {b.Line}: (#{b.Anchor})")) +
            $"{Environment.NewLine}Its headings' anchors are: {string.Join(", ", page.Anchors)}");
    }

    [Test]
    public void Headings_get_the_anchors_github_gives_them_and_code_blocks_hold_no_headings()
    {
        var page = Markdown.Read(
        [
            "# ExeSys",
            "## Differences from the original ExeSys",
            "### `P:{queue}:ready`, the queue's *sorted set*",
            "## Job history in MongoDB ##",
            "## Redis cost of one job",
            "## Redis cost of one job",
            "## Redis cost of one job",
            "### snake_case and hyphen-ated (kept), 10.5 ms",
            "```bash",
            "# a comment, not a heading",
            "see [a link in code](#not-checked)",
            "```",
            "   ```",
            "   ## indented fence: still code",
            "   ```",
            "## [A linked](https://example.org) heading",
            "See [Differences](#differences-from-the-original-exesys) and [twice](#redis-cost-of-one-job-1).",
        ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page.Anchors, Is.EqualTo(ExpectedAnchors));
            Assert.That(page.Links, Is.EqualTo(ExpectedLinks));
        }
    }

    private static readonly string[] ExpectedAnchors =
    [
        "exesys",
        "differences-from-the-original-exesys",
        "pqueueready-the-queues-sorted-set",
        "job-history-in-mongodb",
        "redis-cost-of-one-job",
        "redis-cost-of-one-job-1",
        "redis-cost-of-one-job-2",
        "snake_case-and-hyphen-ated-kept-105-ms",
        "a-linked-heading",
    ];

    private static readonly Link[] ExpectedLinks =
    [
        new(17, "differences-from-the-original-exesys"),
        new(17, "redis-cost-of-one-job-1"),
    ];

    /// <summary>The directory above the test's own that holds ExeSys.sln (and the README next to it).</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExeSys.sln")) && File.Exists(Path.Combine(dir.FullName, "README.md")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No directory above {TestContext.CurrentContext.TestDirectory} holds ExeSys.sln and README.md.");
    }

    private sealed record Link(int Line, string Anchor);

    /// <summary>The headings' anchors and the in-page links of a Markdown page, outside fenced code blocks.</summary>
    private sealed record Markdown(IReadOnlyList<string> Anchors, IReadOnlyList<Link> Links)
    {
        public static Markdown Read(string[] lines)
        {
            var anchors = new List<string>();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            var links = new List<Link>();
            string? fence = null;
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var opener = Fence().Match(line);
                if (opener.Success)
                {
                    // A fence closes with the same character, at least as many times as it opened (CommonMark).
                    var marks = opener.Groups["marks"].Value;
                    if (fence is null)
                    {
                        fence = marks;
                    }
                    else if (marks[0] == fence[0] && marks.Length >= fence.Length && opener.Groups["info"].Value.Trim().Length == 0)
                    {
                        fence = null;
                    }

                    continue;
                }

                if (fence is not null)
                {
                    continue;
                }

                if (Heading().Match(line) is { Success: true } heading)
                {
                    var slug = Slug(heading.Groups["text"].Value);
                    // GitHub numbers repeats of a heading: x, x-1, x-2.
                    var repeat = seen.TryGetValue(slug, out var n) ? n + 1 : 0;
                    seen[slug] = repeat;
                    anchors.Add(repeat == 0 ? slug : string.Create(CultureInfo.InvariantCulture, $"{slug}-{repeat}"));
                }

                foreach (Match link in InPageLink().Matches(line))
                {
                    links.Add(new Link(i + 1, link.Groups["anchor"].Value));
                }
            }

            return new Markdown(anchors, links);
        }

        /// <summary>
        /// GitHub's anchor of a heading: its rendered text (a link shows only its text, code spans lose their
        /// backticks), lowercased, with every character but letters, digits, spaces, '-' and '_' dropped, and each
        /// space made a '-'.
        /// </summary>
        private static string Slug(string heading)
        {
            var text = LinkMarkup().Replace(heading, "${text}");
            var slug = new StringBuilder(text.Length);
            foreach (var c in text.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            return slug.ToString();
        }
    }

    /// <summary>An ATX heading: 1-6 '#', a space, the text, and an optional closing run of '#'.</summary>
    [GeneratedRegex(@"^ {0,3}#{1,6}[ \t]+(?<text>.*?)(?:[ \t]+#+)?[ \t]*$")]
    private static partial Regex Heading();

    /// <summary>A code fence, indented or not (fences inside list items are indented further).</summary>
    [GeneratedRegex(@"^\s*(?<marks>`{3,}|~{3,})(?<info>.*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"\]\(#(?<anchor>[^)\s]+)\)")]
    private static partial Regex InPageLink();

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\([^)]*\)")]
    private static partial Regex LinkMarkup();
}
