//! A campaign's dates are days in its time zone: it starts at the beginning of its first day
//! there and ends at the end of its last ("ends on 31 December" in `Europe/Kyiv` is over at
//! midnight in Kyiv). They are stored as the UTC instants they name, so that counting
//! compares instants and the widget only converts for display.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone a stored name names (the column is checked when written; anything else is UTC).
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// When `day` begins in `tz`, in UTC. A day whose midnight a clock change skips begins at the
/// first moment it has.
pub fn start_of(day: NaiveDate, tz: Tz) -> NaiveDateTime {
    let mut local = day.and_hms_opt(0, 0, 0).expect("midnight");
    loop {
        if let Some(start) = tz.from_local_datetime(&local).earliest() {
            return start.naive_utc();
        }
        local += TimeDelta::minutes(15);
    }
}

/// When `day` ends in `tz` (the next day begins), in UTC.
pub fn end_of(day: NaiveDate, tz: Tz) -> NaiveDateTime {
    start_of(day.succ_opt().unwrap_or(day), tz)
}

/// The day in `tz` that a start stored as `start` begins.
pub fn first_day(start: NaiveDateTime, tz: Tz) -> NaiveDate {
    start.and_utc().with_timezone(&tz).date_naive()
}

/// The last day in `tz` of a campaign that ends at `end`.
pub fn last_day(end: NaiveDateTime, tz: Tz) -> NaiveDate {
    (end.and_utc() - TimeDelta::seconds(1))
        .with_timezone(&tz)
        .date_naive()
}

/// Whole days left before the last day, seen at `now` in `tz`: 1 on the day before the last
/// day, 0 on the last day itself.
pub fn days_before_last(end: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> i64 {
    (last_day(end.naive_utc(), tz) - now.with_timezone(&tz).date_naive()).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_day_in_kyiv_begins_and_ends_at_midnight_there() {
        let kyiv = zone("Europe/Kyiv");
        let end = end_of(day("2026-12-31"), kyiv);
        assert_eq!(end.to_string(), "2026-12-31 22:00:00");
        assert_eq!(last_day(end, kyiv), day("2026-12-31"));
        let start = start_of(day("2026-07-01"), kyiv);
        assert_eq!(start.to_string(), "2026-06-30 21:00:00", "summer time");
        assert_eq!(first_day(start, kyiv), day("2026-07-01"));
        assert_eq!(
            end_of(day("2026-12-31"), zone("UTC")).to_string(),
            "2027-01-01 00:00:00"
        );
    }

    #[test]
    fn a_midnight_that_a_clock_change_skips_begins_its_day_later() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2026-09-06.
        let santiago = zone("America/Santiago");
        let start = start_of(day("2026-09-06"), santiago);
        assert_eq!(first_day(start, santiago), day("2026-09-06"));
        assert_eq!(start.to_string(), "2026-09-06 04:00:00");
    }

    #[test]
    fn unknown_names_are_utc() {
        assert_eq!(zone("Mars/Olympus"), Tz::UTC);
    }
}
