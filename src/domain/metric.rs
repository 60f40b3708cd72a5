//! What a campaign counts.

use std::fmt;
use std::str::FromStr;

/// A campaign's goal metric, stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Distinct people in good standing.
    Members,
    /// Money received (minor units), net of refunds.
    Amount,
    /// Members plus distinct one-time donors.
    Supporters,
}

impl Metric {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Members => "members",
            Metric::Amount => "amount",
            Metric::Supporters => "supporters",
        }
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "members" => Ok(Metric::Members),
            "amount" => Ok(Metric::Amount),
            "supporters" => Ok(Metric::Supporters),
            other => Err(format!("unknown metric {other:?}")),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
