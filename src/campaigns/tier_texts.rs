//! A tier's name and description in each language readers may choose (`tier_texts`); where
//! none is written, the tier's own.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{tier_texts, tiers};
use crate::i18n::Lang;

/// A tier's name and description in one language (empty where none is written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierText {
    /// The name.
    pub name: String,
    /// The description.
    pub description: String,
}

/// The texts written for `lang` of each of `tiers`, by tier id (only those with some).
pub fn written(
    conn: &mut DbConnection,
    tiers: &[i32],
    lang: Lang,
) -> QueryResult<HashMap<i32, TierText>> {
    let rows: Vec<(i32, String, String)> = tier_texts::table
        .filter(tier_texts::tier_id.eq_any(tiers))
        .filter(tier_texts::lang.eq(lang.code()))
        .select((
            tier_texts::tier_id,
            tier_texts::name,
            tier_texts::description,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, description)| (id, TierText { name, description }))
        .collect())
}

/// The name of each of `tiers` a reader of `lang` sees, by tier id.
pub fn names(
    conn: &mut DbConnection,
    tiers: &[i32],
    lang: Lang,
) -> QueryResult<HashMap<i32, String>> {
    let own: Vec<(i32, String)> = tiers::table
        .filter(tiers::id.eq_any(tiers))
        .select((tiers::id, tiers::name))
        .load(conn)?;
    let written = written(conn, tiers, lang)?;
    Ok(own
        .into_iter()
        .map(|(id, name)| {
            let shown = written
                .get(&id)
                .map(|t| t.name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or(name);
            (id, shown)
        })
        .collect())
}

/// Keeps `text` as the tier's in `lang` (none at all when both fields are empty).
pub fn save(conn: &mut DbConnection, tier: i32, lang: Lang, text: &TierText) -> QueryResult<()> {
    diesel::delete(
        tier_texts::table
            .filter(tier_texts::tier_id.eq(tier))
            .filter(tier_texts::lang.eq(lang.code())),
    )
    .execute(conn)?;
    if *text != TierText::default() {
        diesel::insert_into(tier_texts::table)
            .values((
                tier_texts::tier_id.eq(tier),
                tier_texts::lang.eq(lang.code()),
                tier_texts::name.eq(&text.name),
                tier_texts::description.eq(&text.description),
            ))
            .execute(conn)?;
    }
    Ok(())
}
