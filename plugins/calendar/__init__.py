"""The maintenance calendar: the posts' windows as iCalendar (RFC 5545) for Outlook and others."""
