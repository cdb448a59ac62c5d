// Reads iCalendar files with ical.js (Mozilla's parser, used by Thunderbird) and prints what a
// calendar client sees, as JSON on stdout: one object per file with the calendar's name, its
// time zones and its events, start and end as UTC instants computed by ical.js from the file's
// own VTIMEZONE. Usage: node read_calendar.mjs FILE... Exit status 1, with the reason on
// stderr, if a file cannot be read.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node read_calendar.mjs FILE...");
  process.exit(2);
}

function utc(time) {
  return time ? time.toJSDate().toISOString() : null;
}

const out = [];
for (const file of files) {
  try {
    const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
    // Times are read in the zone the file itself defines, not in one ical.js knows.
    ICAL.TimezoneService.reset();
    const zones = calendar.getAllSubcomponents("vtimezone").map((vtimezone) => {
      const zone = new ICAL.Timezone(vtimezone);
      ICAL.TimezoneService.register(zone.tzid, zone);
      return zone.tzid;
    });
    const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      return {
        uid: event.uid,
        sequence: event.sequence,
        summary: event.summary,
        description: event.description,
        status: vevent.getFirstPropertyValue("status"),
        start: utc(event.startDate),
        end: utc(event.endDate),
        tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
        dtstamp: utc(vevent.getFirstPropertyValue("dtstamp")),
        lastModified: utc(vevent.getFirstPropertyValue("last-modified")),
        url: vevent.getFirstPropertyValue("url"),
        categories: vevent.getAllProperties("categories").flatMap((p) => p.getValues()),
      };
    });
    out.push({
      file,
      version: calendar.getFirstPropertyValue("version"),
      name: calendar.getFirstPropertyValue("x-wr-calname"),
      zones,
      events,
    });
  } catch (error) {
    console.error(`ical.js could not read ${file}: ${error.message}`);
    process.exit(1);
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
