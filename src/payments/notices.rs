//! The emails a change of a membership or payment queues (welcome, receipt, notices), addressed
//! to the member in their language, with the campaign's title in that language.

use diesel::prelude::*;

use crate::campaigns::Campaign;
use crate::campaigns::texts::Translations;
use crate::campaigns::tier_texts;
use crate::db::DbConnection;
use crate::db::schema::{campaigns, members, memberships};
use crate::email;
use crate::email::templates::Notice;
use crate::i18n::Lang;

/// A member's address and language and the campaign's title, for emails.
pub(super) fn email_context(
    conn: &mut DbConnection,
    member: i32,
    campaign: i32,
) -> QueryResult<(String, Lang, String)> {
    let (email, locale): (String, String) = members::table
        .find(member)
        .select((members::email, members::locale))
        .first(conn)?;
    let lang = Lang::from_code(&locale);
    let campaign: Campaign = campaigns::table
        .find(campaign)
        .select(Campaign::as_select())
        .first(conn)?;
    let title = Translations::of(conn, campaign.id)?
        .title(&campaign, lang)
        .to_owned();
    Ok((email, lang, title))
}

/// The name of a membership's tier in `lang`, when it has one.
pub(super) fn tier_of(
    conn: &mut DbConnection,
    membership: i32,
    lang: Lang,
) -> QueryResult<Option<String>> {
    let tier: Option<i32> = memberships::table
        .find(membership)
        .select(memberships::tier_id)
        .first(conn)?;
    let Some(tier) = tier else {
        return Ok(None);
    };
    Ok(tier_texts::names(conn, &[tier], lang)?.remove(&tier))
}

/// Queues `notice` to `to` under `key`, in the outlet's brand.
pub(super) fn queue(
    conn: &mut DbConnection,
    key: &str,
    to: &str,
    notice: &Notice,
) -> QueryResult<bool> {
    let message = email::render(conn, notice, to)?;
    email::queue(conn, key, &message)
}
