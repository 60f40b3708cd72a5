//! Times on the editions page are wall-clock times in the outlet's time zone
//! (`MEMBERDRIVE_TIME_ZONE`): an editor in Kyiv who types 09:00 means nine in Kyiv. They are
//! stored as the UTC instants they name.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// A wall-clock time that the zone's clocks skip (the hour jumped over when summer time
/// begins): it names no instant.
#[derive(Debug, PartialEq, Eq)]
pub struct Skipped;

/// The instant (UTC) that `local` names in `zone`. A time the clocks pass twice (the hour
/// repeated when summer time ends) is the first of the two: the edition goes out when that
/// time first comes, and not an hour late.
pub fn to_utc(local: NaiveDateTime, zone: Tz) -> Result<NaiveDateTime, Skipped> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|at| at.naive_utc())
        .ok_or(Skipped)
}

/// `at` (UTC) on the zone's clock, with the zone's abbreviation: `2026-12-08 09:00 EET`.
pub fn shown(at: NaiveDateTime, zone: Tz) -> String {
    at.and_utc()
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{Skipped, shown, to_utc};

    fn at(text: &str) -> chrono::NaiveDateTime {
        text.parse().unwrap()
    }

    #[test]
    fn nine_in_kyiv_is_seven_utc_in_winter_and_six_in_summer() {
        let kyiv = chrono_tz::Europe::Kyiv;
        assert_eq!(
            to_utc(at("2030-01-15T09:00:00"), kyiv),
            Ok(at("2030-01-15T07:00:00"))
        );
        assert_eq!(
            to_utc(at("2030-07-15T09:00:00"), kyiv),
            Ok(at("2030-07-15T06:00:00"))
        );
        assert_eq!(
            shown(at("2030-01-15T07:00:00"), kyiv),
            "2030-01-15 09:00 EET"
        );
        assert_eq!(
            shown(at("2030-07-15T06:00:00"), kyiv),
            "2030-07-15 09:00 EEST"
        );
        let utc = chrono_tz::UTC;
        assert_eq!(
            to_utc(at("2030-01-15T09:00:00"), utc),
            Ok(at("2030-01-15T09:00:00"))
        );
        assert_eq!(
            shown(at("2030-01-15T09:00:00"), utc),
            "2030-01-15 09:00 UTC"
        );
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_and_one_they_repeat_is_the_first() {
        let kyiv = chrono_tz::Europe::Kyiv;
        // On 31 March 2030 the clocks go from 03:00 to 04:00 in Kyiv.
        assert_eq!(to_utc(at("2030-03-31T03:30:00"), kyiv), Err(Skipped));
        assert_eq!(
            to_utc(at("2030-03-31T04:00:00"), kyiv),
            Ok(at("2030-03-31T01:00:00"))
        );
        // On 27 October 2030 they go back from 04:00 to 03:00: 03:30 comes twice, first in
        // summer time (UTC+3).
        assert_eq!(
            to_utc(at("2030-10-27T03:30:00"), kyiv),
            Ok(at("2030-10-27T00:30:00"))
        );
    }
}
