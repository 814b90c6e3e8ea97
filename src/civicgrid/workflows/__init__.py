"""The kernel: methods as data, cases, the engine, deadlines, calendars and clocks."""
