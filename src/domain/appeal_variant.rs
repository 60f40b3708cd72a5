//! Which of a campaign's two appeals a reader saw.

use super::stored::text_enum;

text_enum! {
    /// The variant of a campaign's appeal shown in the widget.
    pub enum AppealVariant as "appeal variant" {
        /// The campaign's title.
        A = "a",
        /// Its second title (`title_b`), shown to half the readers when it has one.
        B = "b",
    }
}
