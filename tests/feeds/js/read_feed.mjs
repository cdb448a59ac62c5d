// Reads one feed URL with rss-parser and prints what a reader sees, as JSON on stdout:
// {"title": ..., "items": [{"title", "link", "guid", "isoDate"}, ...]}.
// Usage: node read_feed.mjs URL. Exit status 1, with the reason on stderr, if it cannot.
import Parser from "rss-parser";

const url = process.argv[2];
if (!url) {
  console.error("usage: node read_feed.mjs URL");
  process.exit(2);
}

try {
  const feed = await new Parser({ timeout: 20000 }).parseURL(url);
  const items = feed.items.map((item) => ({
    title: item.title,
    link: item.link,
    guid: item.guid ?? item.id,
    isoDate: item.isoDate,
  }));
  process.stdout.write(JSON.stringify({ title: feed.title, items }) + "\n");
} catch (error) {
  console.error(`rss-parser could not read ${url}: ${error.message}`);
  process.exit(1);
}
